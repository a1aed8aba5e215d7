// PnL/drawdown and inventory charts, drawn by uPlot (served from node_modules, no CDN).
import uPlot from '/vendor/uplot/uPlot.esm.js';

const MAX_POINTS = 20_000;
const HEIGHT = 200;

const axisStyle = { stroke: '#8a94a3', grid: { stroke: '#232a33', width: 1 }, ticks: { stroke: '#232a33', width: 1 } };

/** A uPlot chart over a growing series of history points; redraws at most once per animation frame. */
class HistoryChart {
  constructor(el, series, pick) {
    this.el = el;
    this.pick = pick;
    this.columns = [[], ...series.map(() => [])];
    this.pending = false;
    this.visible = true;
    this.dirty = false;
    this.plot = new uPlot(
      {
        width: Math.max(el.clientWidth, 300),
        height: HEIGHT,
        scales: { x: { time: true } },
        axes: [{ ...axisStyle }, { ...axisStyle, size: 70 }],
        series: [{}, ...series],
        legend: { live: true },
        cursor: { drag: { x: true, y: false } },
      },
      this.columns,
      el,
    );
    this.plot.root.setAttribute('data-points', '0');
    new ResizeObserver(() => this.plot.setSize({ width: Math.max(el.clientWidth, 300), height: HEIGHT })).observe(el);
  }

  /** Replaces everything shown (a fresh snapshot after a reconnect). */
  reset(points) {
    for (const col of this.columns) col.length = 0;
    this.append(points);
  }

  /** points: HistoryPoint[] ({ ts, netPnl, drawdown, position }), ts in ms, oldest first. */
  append(points) {
    const [xs, ...ys] = this.columns;
    for (const p of points) {
      const t = p.ts / 1000;
      if (xs.length > 0 && t < xs[xs.length - 1]) continue;
      xs.push(t);
      this.pick(p).forEach((v, i) => ys[i].push(v));
    }
    if (xs.length > MAX_POINTS) {
      const drop = xs.length - MAX_POINTS;
      for (const col of this.columns) col.splice(0, drop);
    }
    this.schedule();
  }

  /** Off-screen charts keep their data but skip drawing (a hundred pairs on one page). */
  setVisible(visible) {
    this.visible = visible;
    if (visible && this.dirty) this.schedule();
  }

  schedule() {
    if (!this.visible) {
      this.dirty = true;
      return;
    }
    this.dirty = false;
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.plot.setData(this.columns);
      this.plot.root.setAttribute('data-points', String(this.columns[0].length));
    });
  }
}

export function pnlChart(el) {
  return new HistoryChart(
    el,
    [
      { label: 'net PnL', stroke: '#4ea1f2', width: 1.5 },
      { label: 'drawdown', stroke: '#e5534b', fill: 'rgba(229,83,75,0.18)', width: 1 },
    ],
    (p) => [p.netPnl, p.drawdown],
  );
}

export function inventoryChart(el) {
  return new HistoryChart(
    el,
    [{ label: 'position', stroke: '#f2c14e', width: 1.5, paths: uPlot.paths.stepped({ align: 1 }) }],
    (p) => [p.position],
  );
}
