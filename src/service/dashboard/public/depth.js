// Market depth ladder: the book's levels around the touch with their cumulative
// size, our open orders marked at their prices.
import { svgEl } from './svg.js';

const ROW = 16;
const LEVELS = 8;
const LABEL_W = 90;
const OURS_W = 110;

/** view: PairView. Draws into svg; data attributes let tests and tools read what is shown. */
export function drawDepth(svg, view) {
  const asks = view.book.asks.slice(0, LEVELS);
  const bids = view.book.bids.slice(0, LEVELS);
  const ours = new Map();
  for (const o of view.openOrders) {
    const key = `${o.side}:${Number(o.price)}`;
    ours.set(key, [...(ours.get(key) ?? []), o]);
  }

  // Rows: asks from the highest price down to the best ask, then bids from the best bid down.
  // Our orders at prices the book does not show get their own rows.
  const rows = [];
  const addSide = (side, levels) => {
    let cum = 0;
    const byPrice = new Map(levels.map((l) => [Number(l.price), l]));
    for (const o of view.openOrders) if (o.side === (side === 'ask' ? 'sell' : 'buy') && !byPrice.has(Number(o.price))) byPrice.set(Number(o.price), { price: o.price, amount: '0' });
    const sorted = [...byPrice.values()].sort((a, b) => (side === 'ask' ? Number(a.price) - Number(b.price) : Number(b.price) - Number(a.price)));
    const out = sorted.map((l) => {
      cum += Number(l.amount);
      return { side, price: l.price, amount: Number(l.amount), cum, ours: ours.get(`${side === 'ask' ? 'sell' : 'buy'}:${Number(l.price)}`) ?? [] };
    });
    return side === 'ask' ? out.reverse() : out;
  };
  rows.push(...addSide('ask', asks), ...addSide('bid', bids));

  const width = Math.max(svg.clientWidth || 0, 360);
  const height = Math.max(rows.length * ROW + 8, 40);
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('data-levels', String(rows.length));
  svg.setAttribute('data-our-orders', String(view.openOrders.length));
  svg.replaceChildren();
  if (rows.length === 0) {
    svg.append(svgEl('text', { x: 8, y: 20 }, 'no book yet'));
    return;
  }
  const maxCum = Math.max(...rows.map((r) => r.cum), 1e-12);
  const barSpace = width - LABEL_W - OURS_W;
  rows.forEach((r, i) => {
    const y = 4 + i * ROW;
    const g = svgEl('g', { class: `level ${r.side}-level`, 'data-price': r.price, 'data-ours': r.ours.length > 0 ? 'true' : 'false' });
    g.append(svgEl('text', { x: LABEL_W - 6, y: y + ROW - 4, 'text-anchor': 'end' }, r.price));
    g.append(svgEl('rect', { class: r.side, x: LABEL_W, y: y + 1, width: Math.max((r.cum / maxCum) * barSpace, r.cum > 0 ? 1 : 0), height: ROW - 3 }));
    g.append(svgEl('text', { x: LABEL_W + 4, y: y + ROW - 4 }, r.amount > 0 ? String(r.amount) : ''));
    if (r.ours.length > 0) {
      const mx = width - OURS_W + 6;
      g.append(svgEl('path', { class: 'ours-marker', d: `M${mx} ${y + ROW / 2} l6 -5 l6 5 l-6 5 z` }));
      const size = r.ours.reduce((s, o) => s + Number(o.remaining), 0);
      g.append(svgEl('text', { class: 'ours-label', x: mx + 16, y: y + ROW - 4 }, `ours ${r.side === 'ask' ? 'sell' : 'buy'} ${size}`));
    }
    svg.append(g);
  });
}
