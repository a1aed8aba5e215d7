import type { RecordedEvent } from '../../events/envelope.js';

/** Fixed key order, so the same log always exports to the same bytes. */
export const toJsonLine = (e: RecordedEvent): string =>
  JSON.stringify({ stream: e.stream, revision: e.revision, position: e.position, id: e.id, type: e.type, version: e.version, time: e.time, data: e.data, metadata: e.metadata });

export const toTextLine = (e: RecordedEvent): string => `${e.time}  ${e.stream}@${e.revision}  ${e.type}  ${JSON.stringify(e.data)}`;
