// The pair state machine, drawn from the graph the service derives from the
// machine definition (GET /api/machine), with the current state highlighted.
import { svgEl } from './svg.js';

const BOX_W = 120;
const BOX_H = 34;

function edgeLabel(edge) {
  const first = edge.events[0] ?? '';
  return edge.events.length > 1 ? `${first} +${edge.events.length - 1}` : first;
}

/** Point on the border of the box centred at c, towards t. */
function borderPoint(c, t) {
  const dx = t.x - c.x;
  const dy = t.y - c.y;
  if (dx === 0 && dy === 0) return { x: c.x, y: c.y };
  const sx = Math.abs(dx) / (BOX_W / 2);
  const sy = Math.abs(dy) / (BOX_H / 2);
  const s = Math.max(sx, sy);
  return { x: c.x + dx / s, y: c.y + dy / s };
}

function distanceToSegment(p, a, b) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy || 1;
  const t = Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2));
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

export function drawDiagram(svg, graph) {
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${graph.width} ${graph.height + 30}`);
  const defs = svgEl('defs');
  const marker = svgEl('marker', { id: `arrow-${Math.random().toString(36).slice(2)}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(svgEl('path', { d: 'M0 0 L10 5 L0 10 z' }));
  defs.append(marker);
  svg.append(defs);
  const arrow = `url(#${marker.id})`;
  const pos = new Map(graph.states.map((s) => [s.id, s]));
  if (graph.anyState) pos.set('*', { id: '*', ...graph.anyState });

  const edges = svgEl('g', { class: 'edges' });
  for (const edge of graph.edges) {
    const from = pos.get(edge.from);
    const to = pos.get(edge.to);
    {
      if (!from || !to) continue;
      const g = svgEl('g', { class: `edge${edge.from === '*' ? ' any' : ''}`, 'data-from': from.id, 'data-to': to.id });
      const title = svgEl('title', {}, `${edge.from === '*' ? 'any state' : from.id} → ${to.id}: ${edge.events.join(', ')}${edge.guards.some((x) => x) ? ` [guards: ${edge.guards.map((x) => x ?? 'always').join(', ')}]` : ''}`);
      g.append(title);
      let d;
      let lx;
      let ly;
      if (from.id === to.id) {
        // Self transition (re-entry): a loop above the box.
        const x = from.x;
        const y = from.y - BOX_H / 2;
        d = `M${x - 18} ${y} C${x - 30} ${y - 34} ${x + 30} ${y - 34} ${x + 18} ${y}`;
        lx = x;
        ly = y - 30;
      } else {
        const a = borderPoint(from, to);
        const b = borderPoint(to, from);
        // Bend every edge to its left, so A→B and B→A never overlap.
        const mx = (a.x + b.x) / 2;
        const my = (a.y + b.y) / 2;
        const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
        // An edge that would run through another state's box bends well clear of it.
        const blocked = graph.states.some((s) => s.id !== from.id && s.id !== to.id && distanceToSegment(s, a, b) < BOX_H + 6);
        const bend = blocked ? 70 : 22;
        const cx = mx + (-(b.y - a.y) / len) * bend;
        const cy = my + ((b.x - a.x) / len) * bend;
        d = `M${a.x} ${a.y} Q${cx} ${cy} ${b.x} ${b.y}`;
        lx = (a.x + 2 * cx + b.x) / 4;
        ly = (a.y + 2 * cy + b.y) / 4 - 3;
      }
      g.append(svgEl('path', { d, 'marker-end': arrow }));
      g.append(svgEl('text', { x: lx, y: ly }, edgeLabel(edge)));
      edges.append(g);
    }
  }
  svg.append(edges);

  const nodes = svgEl('g', { class: 'states' });
  if (graph.anyState) {
    const g = svgEl('g', { class: 'any-state', 'data-state': '*' });
    g.append(svgEl('rect', { x: graph.anyState.x - BOX_W / 2, y: graph.anyState.y - BOX_H / 2, width: BOX_W, height: BOX_H, rx: BOX_H / 2 }));
    g.append(svgEl('text', { x: graph.anyState.x, y: graph.anyState.y }, 'any state'));
    nodes.append(g);
  }
  for (const s of graph.states) {
    const g = svgEl('g', { class: `state${s.final ? ' final' : ''}`, 'data-state': s.id, 'aria-label': `state ${s.id}` });
    g.append(svgEl('rect', { x: s.x - BOX_W / 2, y: s.y - BOX_H / 2, width: BOX_W, height: BOX_H, rx: 8 }));
    g.append(svgEl('text', { x: s.x, y: s.y }, s.id));
    nodes.append(g);
  }
  svg.append(nodes);
}

export function highlightState(svg, state) {
  for (const g of svg.querySelectorAll('g.state')) {
    const current = g.getAttribute('data-state') === state;
    g.classList.toggle('current', current);
    if (current) g.setAttribute('aria-current', 'true');
    else g.removeAttribute('aria-current');
  }
  svg.setAttribute('data-current', state);
}
