// Reads the service's Server-Sent Events stream with fetch(), so the bearer token
// goes in a header, never in a URL. Reconnects with backoff; a 401 stops and asks
// for a token again.

/** Parses SSE framing: blocks separated by a blank line, `event:` and `data:` lines. */
export function createSseParser(onMessage) {
  let buffer = '';
  return (text) => {
    buffer += text.replace(/\r\n/g, '\n');
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0) onMessage(event, data.join('\n'));
    }
  };
}

/**
 * connectStream({ token, onMessage, onStatus, onUnauthorized }) → stop()
 * onStatus(status, detail): 'connecting' | 'live' | 'retrying' | 'unauthorized' | 'stopped'
 */
export function connectStream({ token, onMessage, onStatus, onUnauthorized, silenceMs = 45_000 }) {
  let stopped = false;
  let controller = null;
  let delay = 500;

  const run = async () => {
    while (!stopped) {
      controller = new AbortController();
      onStatus('connecting');
      try {
        const res = await fetch('/api/stream', { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: controller.signal, cache: 'no-store' });
        if (res.status === 401 || res.status === 403) {
          const body = await res.json().catch(() => ({}));
          onStatus('unauthorized', `${res.status}: ${body.message ?? res.statusText}`);
          onUnauthorized(res.status, body.message ?? res.statusText);
          return;
        }
        if (!res.ok || !res.body) throw new Error(`stream answered ${res.status} ${res.statusText}`);
        const parse = createSseParser((event, data) => {
          let payload;
          try {
            payload = JSON.parse(data);
          } catch {
            console.error('dashboard: unreadable stream message', event);
            return;
          }
          if (event === 'snapshot') delay = 500;
          onMessage(event, payload);
        });
        onStatus('live');
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        // The service sends a heartbeat every 15 s: a stream silent for longer is dead (a sleeping laptop, a dropped proxy).
        let watchdog = setTimeout(() => controller.abort(), silenceMs);
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            clearTimeout(watchdog);
            watchdog = setTimeout(() => controller.abort(), silenceMs);
            parse(value);
          }
        } finally {
          clearTimeout(watchdog);
        }
        if (!stopped) onStatus('retrying', 'the stream ended');
      } catch (err) {
        if (stopped) return;
        onStatus('retrying', err instanceof Error ? err.message : String(err));
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  };
  void run();
  return () => {
    stopped = true;
    controller?.abort();
    onStatus('stopped');
  };
}
