const NS = 'http://www.w3.org/2000/svg';

/** Creates an SVG element with attributes (never `style`: the page's CSP allows stylesheet classes only). */
export function svgEl(name, attrs = {}, text) {
  const el = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}
