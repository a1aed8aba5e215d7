import { createServer, type Server } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';

/*
 * The relay between the service and a browser running the Stately inspector:
 * the service's WebSocket inspector sends here, and a page served here embeds
 * https://stately.ai/inspect and posts every event into it.
 *
 * Why not @statelyai/inspect/server's createInspectorServer, which does the
 * same? It listens on every interface (inspection events carry the pairs'
 * positions and parameters), lets any web page's script connect, and a busy
 * port becomes an uncaught exception. This one binds to 127.0.0.1, refuses
 * browser origins other than its own page, and reports listen errors.
 */

export const STATELY_INSPECTOR_URL = 'https://stately.ai/inspect';

export interface InspectorRelayOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly host?: string;
  /** The inspector UI to embed. */
  readonly inspectorUrl?: string;
  /** Events kept for a page that connects late. */
  readonly replay?: number;
  /** Errors after the relay started (the relay keeps running). */
  readonly onError?: (err: Error) => void;
}

export interface InspectorRelay {
  /** Where the service's WebSocket inspector sends. */
  readonly wsUrl: string;
  /** The page to open in a browser. */
  readonly pageUrl: string;
  readonly port: number;
  close(): Promise<void>;
}

const bridgePage = (wsUrl: string, inspectorUrl: string): string => `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>mm — Stately inspector</title>
<style>html,body{margin:0;height:100%}iframe{width:100%;height:100%;border:0}</style></head>
<body><iframe id="inspector" src="${inspectorUrl}"></iframe>
<script>
  const frame = document.getElementById('inspector');
  const pending = [];
  let connected = false;
  window.addEventListener('message', (e) => {
    if (e.data && e.data.type === '@statelyai.connected') {
      connected = true;
      for (const ev of pending.splice(0)) frame.contentWindow.postMessage(ev, '*');
    }
  });
  const ws = new WebSocket(${JSON.stringify(wsUrl)});
  ws.onmessage = (m) => {
    const ev = JSON.parse(m.data);
    if (connected) frame.contentWindow.postMessage(ev, '*'); else pending.push(ev);
  };
</script></body></html>`;

export async function startInspectorRelay(opts: InspectorRelayOptions): Promise<InspectorRelay> {
  const host = opts.host ?? '127.0.0.1';
  const inspectorUrl = opts.inspectorUrl ?? STATELY_INSPECTOR_URL;
  const replay = opts.replay ?? 500;
  let page = '';
  let allowedOrigins = new Set<string>();

  const http: Server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/' || req.url === '/index.html')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });

  // Node clients send no Origin; a browser may connect only from this relay's own page.
  const wss = new WebSocketServer({ server: http, verifyClient: ({ origin }: { origin?: string }) => !origin || allowedOrigins.has(origin) });
  // ws re-emits the HTTP server's errors: the listen promise below reports those at start, onError later ones.
  let started = false;
  const reportError = (err: Error) => {
    if (started) opts.onError?.(err);
  };
  wss.on('error', reportError);
  http.on('error', reportError);
  const buffer: string[] = [];
  wss.on('connection', (ws) => {
    for (const msg of buffer) ws.send(msg);
    ws.on('message', (data) => {
      const msg = data.toString();
      buffer.push(msg);
      if (buffer.length > replay) buffer.shift();
      for (const client of wss.clients) if (client !== ws && client.readyState === WebSocket.OPEN) client.send(msg);
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(new Error(`inspector relay cannot listen on ${host}:${opts.port}: ${err.message}`));
    http.once('error', onError);
    http.listen(opts.port, host, () => {
      http.off('error', onError);
      started = true;
      resolve();
    });
  });
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const wsUrl = `ws://${hostPart}:${port}`;
  const pageUrl = `http://${hostPart}:${port}/`;
  allowedOrigins = new Set([`http://${hostPart}:${port}`, `http://localhost:${port}`]);
  page = bridgePage(wsUrl, inspectorUrl);

  return {
    wsUrl,
    pageUrl,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => http.close(() => resolve()));
      }),
  };
}
