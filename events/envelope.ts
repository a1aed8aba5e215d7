import { z } from 'zod';
import { v5 as uuidV5 } from 'uuid';
import { eventCatalog, isEventType, type DomainEvent } from './catalog.js';
import { IsoTime } from './primitives.js';
import { upcasters } from './upcasters.js';

export const EventMetadataSchema = z
  .object({
    correlationId: z.string(),
    causationId: z.string().nullable(),
    instanceId: z.string(),
    /** Version of the pair's parameters in force when the event was written. */
    configVersion: z.number().int().nonnegative(),
  })
  .strict();
export type EventMetadata = z.output<typeof EventMetadataSchema>;

/** An event ready to append: a domain event plus its envelope. */
export type NewEvent = DomainEvent & {
  readonly id: string;
  readonly version: number;
  /** The event's own time, ISO 8601 UTC (data time in backtests). */
  readonly time: string;
  readonly metadata: EventMetadata;
};

/** An event as stored: its stream, its revision in that stream (0-based) and its global position. */
export type RecordedEvent = NewEvent & {
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
};

/** What a store adapter hands back before validation. */
export interface RawRecordedEvent {
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
  readonly id: string;
  readonly type: string;
  readonly version: number;
  readonly time: string;
  readonly data: unknown;
  readonly metadata: unknown;
}

export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
  constructor(
    readonly stream: string,
    readonly revision: number,
    readonly eventType: string,
    readonly problem: string,
  ) {
    super(`invalid event in stream "${stream}" at revision ${revision} (type ${eventType}): ${problem}`);
  }
}

const formatIssues = (error: z.ZodError): string =>
  error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');

/** Validate an event read back from a store. Throws InvalidEventError naming stream and revision. */
export function decodeRecordedEvent(raw: RawRecordedEvent): RecordedEvent {
  const fail = (problem: string): never => {
    throw new InvalidEventError(raw.stream, raw.revision, raw.type, problem);
  };
  if (!isEventType(raw.type)) return fail(`unknown event type "${raw.type}"`);
  const entry = eventCatalog[raw.type];
  const time = IsoTime.safeParse(raw.time);
  if (!time.success) return fail(`time: ${formatIssues(time.error)}`);
  let current: unknown = raw.data;
  if (raw.version !== entry.version) {
    if (!Number.isInteger(raw.version) || raw.version < 1 || raw.version > entry.version) {
      return fail(`unsupported schema version ${raw.version} (current is ${entry.version})`);
    }
    const chain = upcasters[raw.type] ?? [];
    for (let v = raw.version; v < entry.version; v++) {
      const step = chain.find((u) => u.from === v);
      if (!step) return fail(`no upcaster from schema version ${v} to ${v + 1}`);
      const old = step.schema.safeParse(current);
      if (!old.success) return fail(`data (schema version ${v}): ${formatIssues(old.error)}`);
      current = step.upcast(old.data as never, { stream: raw.stream, revision: raw.revision, time: time.data });
    }
  }
  const data = entry.data.safeParse(current);
  if (!data.success) return fail(`data: ${formatIssues(data.error)}`);
  const metadata = EventMetadataSchema.safeParse(raw.metadata);
  if (!metadata.success) return fail(`metadata: ${formatIssues(metadata.error)}`);
  return {
    stream: raw.stream,
    revision: raw.revision,
    position: raw.position,
    id: raw.id,
    type: raw.type,
    // Read back as the current version, whatever version wrote it.
    version: entry.version,
    time: time.data,
    data: data.data,
    metadata: metadata.data,
  } as RecordedEvent;
}

/** Validate an event before it is appended, so a bad event never reaches the log. */
export function assertValidNewEvent(stream: string, event: NewEvent): void {
  const entry = eventCatalog[event.type];
  const data = entry.data.safeParse(event.data);
  if (!data.success) throw new InvalidEventError(stream, -1, event.type, `data: ${formatIssues(data.error)}`);
  const metadata = EventMetadataSchema.safeParse(event.metadata);
  if (!metadata.success) throw new InvalidEventError(stream, -1, event.type, `metadata: ${formatIssues(metadata.error)}`);
  if (!IsoTime.safeParse(event.time).success) throw new InvalidEventError(stream, -1, event.type, `time: not ISO 8601 UTC: ${event.time}`);
}

const EVENT_ID_NAMESPACE = '6f1c1e0a-3f7b-5d2a-9b8e-2c4d5e6f7a8b';

/**
 * Event ids are derived, not random: the same instance writing the same
 * revision of a stream gets the same id, so a retried append is idempotent and
 * two identical backtests write identical logs. A different instance gets
 * different ids, so it can never be mistaken for an idempotent retry.
 */
export const deriveEventId = (instanceId: string, stream: string, revision: number): string =>
  uuidV5(`${instanceId}|${stream}|${revision}`, EVENT_ID_NAMESPACE);

export const toIsoTime = (epochMs: number): string => new Date(epochMs).toISOString();

export function envelope(event: DomainEvent, fields: { id: string; time: number; metadata: EventMetadata }): NewEvent {
  return {
    ...event,
    id: fields.id,
    version: eventCatalog[event.type].version,
    time: toIsoTime(fields.time),
    metadata: fields.metadata,
  } as NewEvent;
}
