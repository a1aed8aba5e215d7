// The dashboard page: a token once (kept in sessionStorage), then one live stream.
import { inventoryChart, pnlChart } from './charts.js';
import { drawDepth } from './depth.js';
import { drawDiagram, highlightState } from './diagram.js';
import { connectStream } from './stream.js';

const TOKEN_KEY = 'mm.dashboard.token';
const EVENT_TAIL = 40;

const $ = (id) => document.getElementById(id);
const cards = new Map();
// Cards off screen skip their charts and depth ladder until scrolled into view.
const visibility = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    const card = cards.get(entry.target.dataset.pairId);
    if (!card) continue;
    card.visible = entry.isIntersecting;
    card.pnl.setVisible(card.visible);
    card.inventory.setVisible(card.visible);
    if (card.visible && card.view) scheduleDepth(card);
  }
});
let machineGraph = null;
let stopStream = null;

const fmt = (s, digits = 6) => {
  if (s === null || s === undefined || s === '') return '—';
  const n = Number(s);
  return Number.isFinite(n) ? String(Number(n.toFixed(digits))) : String(s);
};

function setText(card, field, text, sign) {
  const el = card.root.querySelector(`[data-field="${field}"]`);
  if (!el) return;
  if (el.textContent !== text) el.textContent = text;
  if (sign !== undefined) {
    el.classList.toggle('positive', sign > 0);
    el.classList.toggle('negative', sign < 0);
  }
}

function showPageError(message) {
  const el = $('page-error');
  el.textContent = message;
  el.hidden = !message;
}

function setConnection(status, detail) {
  const el = $('connection');
  el.dataset.status = status === 'live' ? 'live' : status === 'unauthorized' || status === 'retrying' ? 'error' : 'idle';
  el.textContent = detail ? `${status}: ${detail}` : status;
}

// ---- token ---------------------------------------------------------------

const token = () => sessionStorage.getItem(TOKEN_KEY);

function askForToken(message) {
  $('token-form').hidden = false;
  $('token-change').hidden = true;
  if (message) showPageError(message);
  $('token-input').focus();
}

$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const value = $('token-input').value.trim();
  if (!value) return;
  sessionStorage.setItem(TOKEN_KEY, value);
  $('token-input').value = '';
  start();
});

$('token-change').addEventListener('click', () => {
  stopStream?.();
  stopStream = null;
  sessionStorage.removeItem(TOKEN_KEY);
  askForToken('');
});

// ---- cards ---------------------------------------------------------------

function cardFor(view) {
  let card = cards.get(view.id);
  if (card) return card;
  const root = $('pair-card-template').content.firstElementChild.cloneNode(true);
  root.dataset.pairId = view.id;
  root.setAttribute('aria-label', `Pair ${view.id}`);
  root.querySelector('[data-field="title"]').textContent = `${view.id} · ${view.venue} ${view.symbol}`;
  for (const button of root.querySelectorAll('button[data-command]')) {
    button.setAttribute('aria-label', `${button.dataset.command} ${view.id}`);
    button.addEventListener('click', () => sendCommand(view.id, button.dataset.command, card));
  }
  $('pairs').append(root);
  card = {
    root,
    view: null,
    pnl: pnlChart(root.querySelector('[data-chart="pnl"]')),
    inventory: inventoryChart(root.querySelector('[data-chart="inventory"]')),
    diagram: root.querySelector('[data-field="diagram"]'),
    depth: root.querySelector('[data-field="depth"]'),
    events: root.querySelector('[data-field="events"]'),
    depthPending: false,
    pendingEvents: [],
    eventsPending: false,
    visible: true,
  };
  visibility.observe(root);
  if (machineGraph) drawDiagram(card.diagram, machineGraph);
  cards.set(view.id, card);
  return card;
}

function renderPair(view) {
  const card = cardFor(view);
  card.view = view;
  const badge = card.root.querySelector('[data-field="state"]');
  if (badge.dataset.state !== view.state) {
    badge.className = `badge state-${view.state}`;
    badge.dataset.state = view.state;
    badge.textContent = view.state;
  }
  card.root.dataset.state = view.state;
  setText(card, 'params-version', `params v${view.paramsVersion}`);
  const bestBid = view.book.bids[0]?.price;
  const bestAsk = view.book.asks[0]?.price;
  const ourBid = view.quotes.bids[0]?.price;
  const ourAsk = view.quotes.asks[0]?.price;
  setText(card, 'book-bid', fmt(bestBid));
  setText(card, 'book-ask', fmt(bestAsk));
  setText(card, 'quote-bid', ourBid ? `${fmt(ourBid)} × ${fmt(view.quotes.bids[0].amount)}` : '—');
  setText(card, 'quote-ask', ourAsk ? `${fmt(ourAsk)} × ${fmt(view.quotes.asks[0].amount)}` : '—');
  const spread = ourBid && ourAsk ? ((Number(ourAsk) - Number(ourBid)) / ((Number(ourAsk) + Number(ourBid)) / 2)) * 1e4 : null;
  setText(card, 'spread-bps', spread === null ? '—' : spread.toFixed(1));
  setText(card, 'open-orders', String(view.openOrders.length));
  setText(card, 'position', fmt(view.inventory.position, 8), Number(view.inventory.position));
  setText(card, 'average-cost', fmt(view.inventory.averageCost, 2));
  setText(card, 'inventory-ratio', `${(view.risk.inventoryRatio * 100).toFixed(1)}%`);
  setText(card, 'pnl-net', fmt(view.pnl.net, 4), Number(view.pnl.net));
  setText(card, 'pnl-realised', fmt(view.pnl.realised, 4), Number(view.pnl.realised));
  setText(card, 'pnl-unrealised', fmt(view.pnl.unrealised, 4), Number(view.pnl.unrealised));
  setText(card, 'pnl-fees', fmt(view.pnl.fees, 4));
  setText(card, 'pause-reason', view.risk.pauseReason ? `${view.risk.pauseReason}${view.risk.pauseDetail ? ` — ${view.risk.pauseDetail}` : ''}` : '—');
  setText(card, 'crashes', String(view.risk.crashes));
  setText(card, 'risk-alerts', view.risk.alerts.length ? view.risk.alerts.join(', ') : 'none');
  highlightState(card.diagram, view.state);
  scheduleDepth(card);
}

/** The depth ladder redraws at most once per frame, whatever the update rate, and only on screen. */
function scheduleDepth(card) {
  if (card.depthPending || !card.visible) return;
  card.depthPending = true;
  requestAnimationFrame(() => {
    card.depthPending = false;
    drawDepth(card.depth, card.view);
  });
}

// Events can arrive hundreds a second: they are queued and the tail is redrawn once per frame.
function appendEvent(pairId, event) {
  const card = cards.get(pairId);
  if (!card) return;
  card.pendingEvents.push(event);
  if (card.pendingEvents.length > EVENT_TAIL) card.pendingEvents.splice(0, card.pendingEvents.length - EVENT_TAIL);
  if (card.eventsPending) return;
  card.eventsPending = true;
  requestAnimationFrame(() => {
    card.eventsPending = false;
    const items = card.pendingEvents.splice(0).reverse().map(eventItem);
    card.events.prepend(...items);
    while (card.events.children.length > EVENT_TAIL) card.events.lastElementChild.remove();
  });
}

function eventItem(event) {
  const li = document.createElement('li');
  const type = document.createElement('span');
  type.className = 'type';
  type.textContent = event.type;
  const time = event.time ? event.time.slice(11, 23) : '';
  li.append(time ? `${time} ` : '', type, summarise(event));
  li.dataset.type = event.type;
  if (event.revision !== undefined) li.dataset.revision = String(event.revision);
  return li;
}

function summarise(event) {
  const d = event.data ?? {};
  if (typeof d !== 'object') return String(d);
  if (event.type === 'QuoteDecided' && d.inputs && d.output) {
    const bid = d.output.bids?.[0];
    const ask = d.output.asks?.[0];
    return `mid=${d.inputs.mid} bid=${bid ? `${bid.price}×${bid.amount}` : '—'} ask=${ask ? `${ask.price}×${ask.amount}` : '—'} ${d.output.reason ?? ''}`;
  }
  const keys = ['from', 'to', 'reason', 'command', 'identity', 'side', 'price', 'amount', 'limit', 'value', 'threshold', 'clientOrderId', 'detail'];
  const parts = keys.filter((k) => d[k] !== undefined && d[k] !== null && typeof d[k] !== 'object').map((k) => `${k}=${d[k]}`);
  return parts.length ? parts.join(' ') : JSON.stringify(d).slice(0, 160);
}

function renderAlerts(alerts) {
  const list = $('alerts-list');
  list.replaceChildren(
    ...alerts
      .slice(-50)
      .reverse()
      .map((a) => {
        const li = document.createElement('li');
        li.dataset.pairId = a.pairId;
        li.textContent = `${new Date(a.ts).toISOString().slice(11, 19)} ${a.pairId} ${a.kind}: ${a.detail}`;
        return li;
      }),
  );
  $('alerts-empty').hidden = alerts.length > 0;
}

// ---- operator actions ----------------------------------------------------

async function sendCommand(pairId, command, card) {
  const status = card.root.querySelector('[data-field="command-status"]');
  status.className = 'command-status';
  status.setAttribute('role', 'status');
  status.textContent = `${command}: sending…`;
  const buttons = card.root.querySelectorAll('button[data-command]');
  buttons.forEach((b) => (b.disabled = true));
  try {
    const res = await fetch(`/api/pairs/${encodeURIComponent(pairId)}/${command}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token() ?? ''}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'dashboard' }),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      const why =
        res.status === 401
          ? 'a valid token is required (missing or unknown token)'
          : res.status === 403
            ? `your token may not ${command} (operator role required)`
            : (body.message ?? res.statusText);
      status.className = 'command-status error';
      status.setAttribute('role', 'alert');
      const server = body.message && body.message !== why ? ` (service: ${body.message})` : '';
      status.textContent = `${command} refused — ${res.status} ${res.statusText || ''}: ${why}${server}`.replace('  ', ' ');
      status.dataset.httpStatus = String(res.status);
      return;
    }
    status.className = 'command-status ok';
    status.dataset.httpStatus = String(res.status);
    status.textContent = `${command}: done`;
    const view = body && typeof body === 'object' && 'state' in body ? body : body?.pair;
    if (view && view.id === pairId) renderPair(view);
  } catch (err) {
    status.className = 'command-status error';
    status.setAttribute('role', 'alert');
    status.textContent = `${command} failed: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

// ---- stream --------------------------------------------------------------

function onMessage(event, payload) {
  switch (event) {
    case 'snapshot':
      for (const view of payload.pairs) {
        const card = cardFor(view);
        renderPair(view);
        card.pnl.reset(payload.history[view.id] ?? []);
        card.inventory.reset(payload.history[view.id] ?? []);
      }
      renderAlerts(payload.alerts);
      document.body.dataset.snapshot = 'received';
      break;
    case 'update':
      if (payload.type === 'pair') renderPair(payload.pair);
      else if (payload.type === 'event') appendEvent(payload.pairId, payload.event);
      break;
    case 'history': {
      const card = cards.get(payload.pairId);
      card?.pnl.append(payload.points);
      card?.inventory.append(payload.points);
      break;
    }
    case 'alerts':
      renderAlerts(payload.alerts);
      break;
    case 'heartbeat':
      document.body.dataset.heartbeat = String(payload.serverTime);
      break;
    case 'failure':
      showPageError(payload.message);
      break;
  }
}

async function loadMachine(tok) {
  const res = await fetch('/api/machine', { headers: { authorization: `Bearer ${tok}` } });
  if (!res.ok) throw Object.assign(new Error(`GET /api/machine answered ${res.status}`), { status: res.status });
  machineGraph = await res.json();
  for (const card of cards.values()) {
    drawDiagram(card.diagram, machineGraph);
    if (card.view) highlightState(card.diagram, card.view.state);
  }
}

async function start() {
  const tok = token();
  if (!tok) return askForToken('');
  $('token-form').hidden = true;
  $('token-change').hidden = false;
  showPageError('');
  try {
    await loadMachine(tok);
  } catch (err) {
    if (err.status === 401 || err.status === 403) {
      sessionStorage.removeItem(TOKEN_KEY);
      return askForToken(`Token refused (${err.status}). Enter a valid API token.`);
    }
    showPageError(`Could not load the state machine: ${err.message}`);
  }
  stopStream?.();
  stopStream = connectStream({
    token: tok,
    onMessage,
    onStatus: setConnection,
    onUnauthorized: (status) => {
      sessionStorage.removeItem(TOKEN_KEY);
      stopStream = null;
      askForToken(`Token refused (${status}). Enter a valid API token.`);
    },
  });
}

start();
