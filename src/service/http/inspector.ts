import { createWebSocketInspector } from '@statelyai/inspect';
import type { InspectionEvent, Observer } from 'xstate';
import type { Logger } from '../../log/logger.js';
import { startInspectorRelay, type InspectorRelay } from './inspector-relay.js';

/*
 * `mm run --inspect`: every actor's inspection events go to the Stately
 * inspector through @statelyai/inspect's WebSocket inspector. Pass `inspect`
 * to createActor of the supervisor (children inherit it through the actor
 * system) or of each pair actor.
 */

/** Default relay port: next to the API's 8080, which @statelyai/inspect would otherwise take as its own default. */
export const DEFAULT_INSPECTOR_PORT = 8090;

export interface InspectorOptions {
  readonly logger: Logger;
  /**
   * Send to a relay that already runs (e.g. `ws://127.0.0.1:8090`: another
   * mm's relay, or createInspectorServer from @statelyai/inspect/server).
   * Without it, a loopback relay is started on `port` and the page to open
   * is logged.
   */
  readonly url?: string;
  readonly port?: number;
  /** Inspector UI the relay page embeds (default https://stately.ai/inspect). */
  readonly inspectorUrl?: string;
}

export interface ServiceInspector {
  /** The observer for `createActor(machine, { inspect })`. */
  readonly inspect: Observer<InspectionEvent>;
  /** Where the events go. */
  readonly url: string;
  /** The browser page of the relay this inspector started, or null when sending to an existing relay. */
  readonly pageUrl: string | null;
  stop(): Promise<void>;
}

type SocketLike = { readyState: number; once?: (event: string, cb: () => void) => void };

export async function createInspector(opts: InspectorOptions): Promise<ServiceInspector> {
  const log = opts.logger.child({ component: 'inspector' });
  let relay: InspectorRelay | null = null;
  let url = opts.url;
  if (url === undefined) {
    relay = await startInspectorRelay({
      port: opts.port ?? DEFAULT_INSPECTOR_PORT,
      onError: (err) => log.error({ err }, 'inspector relay error'),
      ...(opts.inspectorUrl ? { inspectorUrl: opts.inspectorUrl } : {}),
    });
    url = relay.wsUrl;
    log.info({ open: relay.pageUrl, relay: relay.wsUrl }, `XState inspector: open ${relay.pageUrl} in a browser to watch the actors`);
  } else {
    log.info({ url }, 'XState inspector: sending inspection events');
  }
  const inspector = createWebSocketInspector({ url });

  return {
    inspect: inspector.inspect,
    url,
    pageUrl: relay?.pageUrl ?? null,
    async stop() {
      // Closing a socket that is still connecting makes the library schedule a reconnect: let it connect first.
      const ws = (inspector.adapter as unknown as { ws?: SocketLike }).ws;
      if (ws && ws.readyState === 0 && ws.once) {
        await new Promise<void>((resolve) => {
          for (const event of ['open', 'error', 'close']) ws.once?.(event, resolve);
        });
      }
      inspector.stop();
      await relay?.close();
    },
  };
}
