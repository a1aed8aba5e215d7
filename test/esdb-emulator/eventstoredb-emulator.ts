import { randomUUID } from 'node:crypto';
import type * as Grpc from '@grpc/grpc-js';
import {
  EmulatorLog,
  EXPECTED_ANY,
  EXPECTED_NO_STREAM,
  EXPECTED_STREAM_EXISTS,
  type LogRecord,
  type ProposedEvent,
  type RecordPatch,
  type WriteOutcome,
} from './emulator-log.js';
import {
  anyPb,
  emptyPb,
  gossipGrpc,
  gossipPb,
  grpc,
  serverFeaturesGrpc,
  serverFeaturesPb,
  sharedPb,
  statusPb,
  streamsGrpc,
  streamsPb,
  type AppendReq,
  type AppendResp,
  type BatchAppendReq,
  type BatchAppendResp,
  type ReadReq,
  type ReadResp,
  type Status,
  type Uuid,
  type ReadReqOptions,
  type AppendReqOptions,
  type ProposedMessage,
} from './generated.js';

/*
 * EventStoreDbEmulator — an EMULATOR of EventStoreDB's gRPC Streams protocol,
 * for tests and benchmarks. IT IS NOT EVENTSTOREDB. It runs in-process on
 * 127.0.0.1 (an OS-chosen port, plaintext HTTP/2, like a server started with
 * --insecure), keeps everything in memory, and serves the real
 * @eventstore/db-client with the service definitions generated in that
 * package. It implements exactly what our EventStore adapter needs:
 *
 * - ServerFeatures.GetSupportedMethods, so the client picks its code paths
 *   (BatchAppend is advertised, as by EventStoreDB 21.10+; switch it off to
 *   exercise the older Streams.Append path).
 * - Streams.Append and Streams.BatchAppend with EventStoreDB's expected-version
 *   and idempotency rules (emulator-log.ts), its success/wrong-expected-version
 *   replies and the error statuses and details the client maps.
 * - Streams.Read: stream reads forwards/backwards with counts (a missing stream
 *   answers StreamNotFound), $all reads forwards/backwards (a forward read
 *   includes its start position, a backward one excludes it), and catch-up
 *   subscriptions to $all (start position excluded), with stream-name or
 *   event-type filters (regex or prefixes), checkpoints every window ×
 *   multiplier scanned events, a CaughtUp message, then live events.
 * - Gossip.Read answering with this single node as leader, so cluster and
 *   discovery connection strings can point at it.
 * - Events carry commit and prepare positions on stream reads too, as since
 *   EventStoreDB 22.6.
 * - System events of the kind a fresh server writes (`$metadata` for a
 *   `$$$stats-…` stream, then `$statsCollected`), and optionally the `$>` link
 *   events the system projections write into `$ce-…` and `$et-…` streams.
 *
 * Not implemented: TLS, authentication and ACLs, deletes and tombstones,
 * stream subscriptions, persistent subscriptions, projections (beyond the
 * optional link events), operations, users, link resolution, $maxAge and
 * other stream metadata, scavenging, clustering and leader elections,
 * structured UUIDs in replies (the Node client asks for strings), the
 * FirstStreamPosition/LastStreamPosition read messages, and EventStoreDB's
 * durability (there is none: a stop() keeps the data in this process only).
 *
 * Fault injection: failNext(n, fault) makes the next n matching calls fail
 * the way a real server or network would, optionally after the write
 * committed (a lost reply); stop() drops every connection and refuses new
 * ones until start() serves the same data on the same port again.
 */

export type EmulatorFault =
  /** The connection drops: UNAVAILABLE on the call (on BatchAppend the whole shared stream fails). */
  | 'unavailable'
  /** The node answers "Server Is Not Ready" (UNAVAILABLE; on BatchAppend a per-request status the client cannot recognise). */
  | 'not-ready'
  /** The server's commit timeout: ABORTED on Append, a per-request Timeout status on BatchAppend, UNAVAILABLE on reads. */
  | 'timeout'
  /** DEADLINE_EXCEEDED on the whole call. */
  | 'deadline-exceeded'
  /** An unexpected server error: UNKNOWN. */
  | 'unknown';

export type EmulatorRpc = 'append' | 'read' | 'subscribe' | 'server-features' | 'gossip';

export interface EventStoreDbEmulatorOptions {
  readonly host?: string;
  /** 0 (default): the OS picks a free port. */
  readonly port?: number;
  /** Position of the first record in the log. Default 0. */
  readonly firstPosition?: bigint;
  /** Advertise Streams.BatchAppend (default true, like EventStoreDB 21.10+), so the client appends through it. */
  readonly advertiseBatchAppend?: boolean;
  /** Size of the recently-committed event-id cache behind `any`/`stream_exists` idempotency. Default 100,000. */
  readonly committedEventsCacheSize?: number;
  /** Bytes per append (EventStoreDB's default: 1 MiB). */
  readonly maxAppendSize?: number;
  /** Write the system events a fresh server writes when first started. Default true. */
  readonly systemEventsAtStart?: boolean;
  /** After each write to a non-system stream, write `$>` links to `$ce-<category>` and `$et-<type>`, as the system projections do. */
  readonly emulateSystemProjections?: boolean;
  readonly serverVersion?: string;
}

export interface RawEvent {
  readonly id?: string;
  readonly type: string;
  /** JSON text, or bytes for a binary event. */
  readonly data: string | Uint8Array;
  readonly metadata?: string | Uint8Array;
  /** Default: true when data is a string. */
  readonly isJson?: boolean;
}

export interface EmulatorRecordPatch {
  readonly type?: string;
  readonly isJson?: boolean;
  readonly data?: string | Uint8Array;
  readonly metadata?: string | Uint8Array;
}

interface PendingFault {
  readonly fault: EmulatorFault;
  readonly rpcs: ReadonlySet<EmulatorRpc>;
  readonly afterCommit: boolean;
}

interface StatusError extends Error {
  readonly code: Grpc.status;
  readonly details: string;
  readonly metadata: Grpc.Metadata;
}

const STREAMS_SERVICE = 'event_store.client.streams.streams';
const DEFAULT_RPCS: readonly EmulatorRpc[] = ['append', 'read', 'subscribe'];
/** The search window a filtered read uses when the client sends `count` instead of `max`. */
const DEFAULT_SEARCH_WINDOW = 32;

const toBytes = (value: string | Uint8Array | undefined): Uint8Array => (value === undefined ? new Uint8Array() : typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
const utf8 = (bytes: Uint8Array | string): string => (typeof bytes === 'string' ? Buffer.from(bytes, 'base64').toString('utf8') : Buffer.from(bytes).toString('utf8'));

function statusError(code: Grpc.status, details: string, metadata: Record<string, string> = {}): StatusError {
  const md = new grpc.Metadata();
  for (const [key, value] of Object.entries(metadata)) md.set(key, value);
  return Object.assign(new Error(details), { code, details, metadata: md });
}

function packStatus(code: number, message: string, typeName: string, detail: { serializeBinary(): Uint8Array }): Status {
  const any = new anyPb.Any();
  any.pack(detail.serializeBinary(), typeName);
  const status = new statusPb.Status();
  status.setCode(code);
  status.setMessage(message);
  status.setDetails(any);
  return status;
}

function uuidText(uuid: Uuid | undefined): string {
  if (!uuid) throw new Error('missing UUID');
  if (uuid.hasStructured()) {
    const structured = uuid.getStructured();
    const view = new DataView(new ArrayBuffer(16));
    view.setBigUint64(0, BigInt.asUintN(64, BigInt(structured?.getMostSignificantBits() ?? '0')));
    view.setBigUint64(8, BigInt.asUintN(64, BigInt(structured?.getLeastSignificantBits() ?? '0')));
    const hex = Buffer.from(view.buffer).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  return uuid.getString();
}

function uuidMessage(text: string): Uuid {
  const uuid = new sharedPb.UUID();
  uuid.setString(text);
  return uuid;
}

function streamIdentifier(name: string) {
  const id = new sharedPb.StreamIdentifier();
  id.setStreamName(Buffer.from(name, 'utf8'));
  return id;
}

/** Each stored record is encoded once (records are replaced, never mutated, so a WeakMap keyed by them stays right). */
const encodedResponses = new WeakMap<LogRecord, ReadResp>();

function readEventResponse(record: LogRecord): ReadResp {
  let response = encodedResponses.get(record);
  if (!response) {
    const built = buildReadEventResponse(record);
    const bytes = built.serializeBinary();
    // The generated serializer calls serializeBinary() on every send; answer with the bytes already made.
    built.serializeBinary = () => bytes;
    encodedResponses.set(record, built);
    response = built;
  }
  return response;
}

function buildReadEventResponse(record: LogRecord): ReadResp {
  const recorded = new streamsPb.ReadResp.ReadEvent.RecordedEvent();
  recorded.setId(uuidMessage(record.id));
  recorded.setStreamIdentifier(streamIdentifier(record.stream));
  recorded.setStreamRevision(String(record.revision));
  recorded.setCommitPosition(String(record.position));
  recorded.setPreparePosition(String(record.position));
  const metadata = recorded.getMetadataMap();
  metadata.set('type', record.type);
  metadata.set('created', String(record.created));
  metadata.set('content-type', record.isJson ? 'application/json' : 'application/octet-stream');
  recorded.setData(record.data);
  recorded.setCustomMetadata(record.metadata);
  const event = new streamsPb.ReadResp.ReadEvent();
  event.setEvent(recorded);
  event.setCommitPosition(String(record.position));
  const response = new streamsPb.ReadResp();
  response.setEvent(event);
  return response;
}

type Writable<T> = Grpc.ServerWritableStream<ReadReq, T> | Grpc.ServerDuplexStream<BatchAppendReq, T>;

/** Resolves when the call can take more, or is gone. */
function drained<T>(call: Writable<T>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('cancelled', done);
      call.off('close', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
    call.on('close', done);
  });
}

const isGone = <T>(call: Writable<T>): boolean => call.cancelled || call.destroyed || call.writableEnded;

type RecordFilter = (record: LogRecord) => boolean;

function parseFilter(options: ReadReqOptions): { readonly accepts: RecordFilter; readonly checkpointEvery: number | undefined } {
  if (options.getFilterOptionCase() !== streamsPb.ReadReq.Options.FilterOptionCase.FILTER) return { accepts: () => true, checkpointEvery: undefined };
  const filter = options.getFilter();
  if (!filter) return { accepts: () => true, checkpointEvery: undefined };
  const onType = filter.getFilterCase() === streamsPb.ReadReq.Options.FilterOptions.FilterCase.EVENT_TYPE;
  const expression = onType ? filter.getEventType() : filter.getStreamIdentifier();
  const regex = expression?.getRegex() ?? '';
  const prefixes = expression?.getPrefixList() ?? [];
  const pattern = regex === '' ? undefined : new RegExp(regex);
  const test = (text: string): boolean => (pattern ? pattern.test(text) : prefixes.some((p: string) => text.startsWith(p)));
  const window = filter.getWindowCase() === streamsPb.ReadReq.Options.FilterOptions.WindowCase.MAX ? filter.getMax() : DEFAULT_SEARCH_WINDOW;
  return {
    accepts: (record) => test(onType ? record.type : record.stream),
    checkpointEvery: Math.max(1, window) * Math.max(1, filter.getCheckpointintervalmultiplier()),
  };
}

/** A catch-up subscription to $all: a cursor into the log, so live delivery can neither skip nor repeat a record. */
class AllSubscriptionSession {
  private scanned = 0;
  private caughtUp = false;
  private pumping = false;
  private waitingForDrain = false;
  private closed = false;
  private readonly stopListening: () => void;

  constructor(
    private readonly log: EmulatorLog,
    private readonly call: Grpc.ServerWritableStream<ReadReq, ReadResp>,
    private cursor: number,
    private readonly filter: { readonly accepts: RecordFilter; readonly checkpointEvery: number | undefined },
    private readonly onClose: (session: AllSubscriptionSession) => void,
  ) {
    const confirmation = new streamsPb.ReadResp.SubscriptionConfirmation();
    confirmation.setSubscriptionId(randomUUID());
    const response = new streamsPb.ReadResp();
    response.setConfirmation(confirmation);
    this.stopListening = log.onCommit(() => this.pump());
    for (const event of ['cancelled', 'close', 'error'] as const) call.on(event, () => this.close());
    this.write(response);
    this.pump();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopListening();
    this.onClose(this);
  }

  private pump(): void {
    if (this.pumping || this.waitingForDrain || this.closed) return;
    this.pumping = true;
    try {
      while (!this.closed && !isGone(this.call)) {
        const record = this.log.all[this.cursor];
        if (!record) {
          if (!this.caughtUp) {
            this.caughtUp = true;
            const response = new streamsPb.ReadResp();
            response.setCaughtUp(new streamsPb.ReadResp.CaughtUp());
            this.write(response);
          }
          return;
        }
        this.cursor += 1;
        this.scanned += 1;
        let more = true;
        if (this.filter.accepts(record)) more = this.write(readEventResponse(record));
        if (this.filter.checkpointEvery !== undefined && this.scanned % this.filter.checkpointEvery === 0) {
          const checkpoint = new streamsPb.ReadResp.Checkpoint();
          checkpoint.setCommitPosition(String(record.position));
          checkpoint.setPreparePosition(String(record.position));
          const response = new streamsPb.ReadResp();
          response.setCheckpoint(checkpoint);
          more = this.write(response) && more;
        }
        if (!more) return;
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Returns false when the call is full; pumping resumes on drain (one waiter, however many writes overflowed). */
  private write(response: ReadResp): boolean {
    if (isGone(this.call)) return false;
    if (this.call.write(response)) return true;
    if (!this.waitingForDrain) {
      this.waitingForDrain = true;
      void drained(this.call).then(() => {
        this.waitingForDrain = false;
        this.pump();
      });
    }
    return false;
  }
}

interface PendingBatch {
  readonly stream: string;
  readonly expected: number;
  readonly correlation: Uuid;
  readonly deadline: Date | undefined;
  readonly events: ProposedEvent[];
  size: number;
}

export class EventStoreDbEmulator {
  private readonly log: EmulatorLog;
  private server: Grpc.Server | undefined;
  private port: number;
  private readonly host: string;
  private readonly faults: PendingFault[] = [];
  private readonly sessions = new Set<AllSubscriptionSession>();
  private readonly instanceId = randomUUID();
  private started = false;
  private readonly maxAppendSize: number;
  /** Calls received per RPC kind (one per appendToStream, including each BatchAppend request). */
  readonly calls: Record<EmulatorRpc, number> = { append: 0, read: 0, subscribe: 0, 'server-features': 0, gossip: 0 };

  constructor(private readonly options: EventStoreDbEmulatorOptions = {}) {
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? 0;
    this.maxAppendSize = options.maxAppendSize ?? 1_048_576;
    this.log = new EmulatorLog({
      firstPosition: options.firstPosition ?? 0n,
      committedEventsCacheSize: options.committedEventsCacheSize ?? 100_000,
      now: () => Date.now(),
    });
  }

  /** Serve (again) on 127.0.0.1. After a stop(), the same port and the same data. */
  async start(): Promise<{ readonly connectionString: string; readonly port: number }> {
    if (this.server) return { connectionString: this.connectionString, port: this.port };
    const server = new grpc.Server();
    server.addService(streamsGrpc.StreamsService, {
      read: (call: Grpc.ServerWritableStream<ReadReq, ReadResp>) => this.read(call),
      append: (call: Grpc.ServerReadableStream<AppendReq, AppendResp>, callback: Grpc.sendUnaryData<AppendResp>) => this.append(call, callback),
      batchAppend: (call: Grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>) => this.batchAppend(call),
      delete: (_call: unknown, callback: Grpc.sendUnaryData<never>) => callback(statusError(grpc.status.UNIMPLEMENTED, 'emulator: Streams.Delete is not implemented')),
      tombstone: (_call: unknown, callback: Grpc.sendUnaryData<never>) => callback(statusError(grpc.status.UNIMPLEMENTED, 'emulator: Streams.Tombstone is not implemented')),
    });
    server.addService(serverFeaturesGrpc.ServerFeaturesService, {
      getSupportedMethods: (_call: unknown, callback: Grpc.sendUnaryData<unknown>) => this.supportedMethods(callback),
    });
    server.addService(gossipGrpc.GossipService, {
      read: (_call: unknown, callback: Grpc.sendUnaryData<unknown>) => this.gossip(callback),
    });
    this.port = await this.bind(server);
    this.server = server;
    if (!this.started && this.options.systemEventsAtStart !== false) this.writeStartupSystemEvents();
    this.started = true;
    return { connectionString: this.connectionString, port: this.port };
  }

  /** Drop every connection and refuse new ones (the data stays, for a later start()). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const session of [...this.sessions]) session.close();
    server.forceShutdown();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  get connectionString(): string {
    return `esdb://${this.host}:${this.port}?tls=false`;
  }

  /** Catch-up subscriptions the server is currently serving. */
  get activeSubscriptions(): number {
    return this.sessions.size;
  }

  /**
   * The next `count` calls of the given kinds (default: appends, reads and
   * subscriptions) fail with `fault`. With afterCommit, an append is written
   * first and only its reply is lost.
   */
  failNext(count: number, fault: EmulatorFault, options: { readonly rpcs?: readonly EmulatorRpc[]; readonly afterCommit?: boolean } = {}): void {
    const rpcs = new Set(options.rpcs ?? DEFAULT_RPCS);
    for (let i = 0; i < count; i += 1) this.faults.push({ fault, rpcs, afterCommit: options.afterCommit ?? false });
  }

  /** Faults injected but not yet triggered. */
  get pendingFaults(): number {
    return this.faults.length;
  }

  /** Write events bypassing gRPC (any content, any stream): how a test plants what another writer would have. */
  appendRaw(stream: string, events: readonly RawEvent[], expectedRevision: number | 'any' | 'no_stream' = 'any'): WriteOutcome {
    const expected = expectedRevision === 'any' ? EXPECTED_ANY : expectedRevision === 'no_stream' ? EXPECTED_NO_STREAM : expectedRevision;
    return this.write(
      stream,
      expected,
      events.map((e) => ({ id: (e.id ?? randomUUID()).toLowerCase(), type: e.type, isJson: e.isJson ?? typeof e.data === 'string', data: toBytes(e.data), metadata: toBytes(e.metadata) })),
    );
  }

  /** Overwrite a stored event in place, as corruption would. */
  rewriteEvent(stream: string, revision: number, patch: EmulatorRecordPatch): void {
    const replacement: { -readonly [K in keyof RecordPatch]: RecordPatch[K] } = {};
    if (patch.type !== undefined) replacement.type = patch.type;
    if (patch.isJson !== undefined) replacement.isJson = patch.isJson;
    if (patch.data !== undefined) replacement.data = toBytes(patch.data);
    if (patch.metadata !== undefined) replacement.metadata = toBytes(patch.metadata);
    this.log.patch(stream, revision, replacement);
  }

  /** The stored events of one stream, or of $all. */
  records(stream?: string): readonly LogRecord[] {
    return stream === undefined ? this.log.all : (this.log.stream(stream) ?? []);
  }

  // -------------------------------------------------------------------------

  private async bind(server: Grpc.Server): Promise<number> {
    // Rebinding the port a stop() just released can race the socket's close.
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await new Promise<number>((resolve, reject) =>
          server.bindAsync(`${this.host}:${this.port}`, grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
        );
      } catch (error) {
        if (this.port === 0 || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
  }

  private takeFault(rpc: EmulatorRpc): PendingFault | undefined {
    const i = this.faults.findIndex((f) => f.rpcs.has(rpc));
    return i === -1 ? undefined : this.faults.splice(i, 1)[0];
  }

  /** The status a call fails with (for BatchAppend, the stream-level ones). */
  private faultStatus(fault: EmulatorFault, rpc: EmulatorRpc): StatusError {
    switch (fault) {
      case 'unavailable':
        return statusError(grpc.status.UNAVAILABLE, 'emulator fault: connection dropped');
      case 'not-ready':
        return statusError(grpc.status.UNAVAILABLE, 'Server Is Not Ready');
      case 'timeout':
        return rpc === 'append' ? statusError(grpc.status.ABORTED, 'Operation timed out: commit timeout') : statusError(grpc.status.UNAVAILABLE, 'Server Is Too Busy');
      case 'deadline-exceeded':
        return statusError(grpc.status.DEADLINE_EXCEEDED, 'Deadline Exceeded');
      case 'unknown':
        return statusError(grpc.status.UNKNOWN, 'Unexpected OperationResult: Unknown');
    }
  }

  private write(stream: string, expected: number, events: readonly ProposedEvent[]): WriteOutcome {
    const outcome = this.log.write(stream, expected, events);
    if (this.options.emulateSystemProjections && outcome.kind === 'success' && !stream.startsWith('$') && events.length > 0) {
      const written = this.log.stream(stream)?.slice(outcome.lastRevision - events.length + 1, outcome.lastRevision + 1) ?? [];
      for (const record of written) {
        const category = record.stream.split('-')[0] ?? record.stream;
        const link = (target: string): void => {
          this.log.write(target, EXPECTED_ANY, [
            {
              id: randomUUID(),
              type: '$>',
              isJson: false,
              data: Buffer.from(`${record.revision}@${record.stream}`, 'utf8'),
              metadata: Buffer.from(JSON.stringify({ $v: '1:-1:1:4', $c: Number(record.position), $p: Number(record.position), $causedBy: record.id }), 'utf8'),
            },
          ]);
        };
        link(`$ce-${category}`);
        link(`$et-${record.type}`);
      }
    }
    return outcome;
  }

  private writeStartupSystemEvents(): void {
    const stats = `$stats-${this.host}:${this.port}`;
    this.write(`$$${stats}`, EXPECTED_ANY, [
      { id: randomUUID(), type: '$metadata', isJson: true, data: Buffer.from(JSON.stringify({ $maxAge: 86_400 })), metadata: new Uint8Array() },
    ]);
    this.write(stats, EXPECTED_ANY, [
      { id: randomUUID(), type: '$statsCollected', isJson: true, data: Buffer.from(JSON.stringify({ 'proc-startTime': new Date().toISOString(), 'es-queue-count': 0 })), metadata: new Uint8Array() },
    ]);
  }

  private supportedMethods(callback: Grpc.sendUnaryData<unknown>): void {
    this.calls['server-features'] += 1;
    const fault = this.takeFault('server-features');
    if (fault) return callback(this.faultStatus(fault.fault, 'server-features'));
    const methods = new serverFeaturesPb.SupportedMethods();
    methods.setEventStoreServerVersion(this.options.serverVersion ?? '23.10.0-emulator');
    const add = (service: string, method: string): void => {
      const m = new serverFeaturesPb.SupportedMethod();
      m.setServiceName(service);
      m.setMethodName(method);
      methods.addMethods(m);
    };
    add(STREAMS_SERVICE, 'read');
    add(STREAMS_SERVICE, 'append');
    if (this.options.advertiseBatchAppend !== false) add(STREAMS_SERVICE, 'batchappend');
    add('event_store.client.server_features.serverfeatures', 'getsupportedmethods');
    add('event_store.client.gossip.gossip', 'read');
    callback(null, methods);
  }

  private gossip(callback: Grpc.sendUnaryData<unknown>): void {
    this.calls.gossip += 1;
    const fault = this.takeFault('gossip');
    if (fault) return callback(this.faultStatus(fault.fault, 'gossip'));
    const endpoint = new gossipPb.EndPoint();
    endpoint.setAddress(this.host);
    endpoint.setPort(this.port);
    const member = new gossipPb.MemberInfo();
    member.setInstanceId(uuidMessage(this.instanceId));
    member.setTimeStamp(String(BigInt(Date.now()) * 10_000n));
    member.setState(gossipPb.MemberInfo.VNodeState.LEADER);
    member.setIsAlive(true);
    member.setHttpEndPoint(endpoint);
    const info = new gossipPb.ClusterInfo();
    info.addMembers(member);
    callback(null, info);
  }

  private read(call: Grpc.ServerWritableStream<ReadReq, ReadResp>): void {
    const options = call.request.getOptions();
    if (!options) {
      call.emit('error', statusError(grpc.status.INVALID_ARGUMENT, 'Options are required'));
      return;
    }
    const Options = streamsPb.ReadReq.Options;
    const subscription = options.getCountOptionCase() === Options.CountOptionCase.SUBSCRIPTION;
    const rpc: EmulatorRpc = subscription ? 'subscribe' : 'read';
    this.calls[rpc] += 1;
    const fault = this.takeFault(rpc);
    if (fault) {
      call.emit('error', this.faultStatus(fault.fault, rpc));
      return;
    }
    const count = options.getCountOptionCase() === Options.CountOptionCase.COUNT ? Number(BigInt(options.getCount())) : Number.MAX_SAFE_INTEGER;
    const backwards = options.getReadDirection() === Options.ReadDirection.BACKWARDS;
    const filter = parseFilter(options);

    if (options.getStreamOptionCase() === Options.StreamOptionCase.STREAM) {
      if (subscription) {
        call.emit('error', statusError(grpc.status.UNIMPLEMENTED, 'emulator: stream subscriptions are not implemented'));
        return;
      }
      const streamOptions = options.getStream();
      const name = utf8(streamOptions?.getStreamIdentifier()?.getStreamName() ?? new Uint8Array());
      const records = this.log.stream(name);
      if (!records || records.length === 0) {
        const notFound = new streamsPb.ReadResp.StreamNotFound();
        notFound.setStreamIdentifier(streamIdentifier(name));
        const response = new streamsPb.ReadResp();
        response.setStreamNotFound(notFound);
        void this.send(call, [response]);
        return;
      }
      const RevisionCase = Options.StreamOptions.RevisionOptionCase;
      const revisionCase = streamOptions?.getRevisionOptionCase();
      const revision = revisionCase === RevisionCase.REVISION ? Number(BigInt(streamOptions?.getRevision() ?? '0')) : undefined;
      const selected: LogRecord[] = [];
      if (backwards) {
        let i = revisionCase === RevisionCase.START ? 0 : Math.min(revision ?? records.length - 1, records.length - 1);
        for (; i >= 0 && selected.length < count; i -= 1) selected.push(records[i] as LogRecord);
      } else {
        let i = revisionCase === RevisionCase.END ? records.length : (revision ?? 0);
        for (; i < records.length && selected.length < count; i += 1) selected.push(records[i] as LogRecord);
      }
      void this.send(call, selected.filter(filter.accepts).map(readEventResponse));
      return;
    }

    const all = options.getAll();
    const AllCase = Options.AllOptions.AllOptionCase;
    const allCase = all?.getAllOptionCase();
    const position = allCase === AllCase.POSITION ? BigInt(all?.getPosition()?.getCommitPosition() ?? '0') : undefined;
    if (subscription) {
      const start = allCase === AllCase.END ? this.log.all.length : position === undefined ? 0 : this.log.firstIndexAfter(position);
      const session = new AllSubscriptionSession(this.log, call, start, filter, (s) => this.sessions.delete(s));
      this.sessions.add(session);
      return;
    }
    const records = this.log.all;
    const selected: LogRecord[] = [];
    if (backwards) {
      let i = allCase === AllCase.START ? -1 : position === undefined ? records.length - 1 : this.log.firstIndexAtOrAfter(position) - 1;
      for (; i >= 0 && selected.length < count; i -= 1) {
        const record = records[i] as LogRecord;
        if (filter.accepts(record)) selected.push(record);
      }
    } else {
      let i = allCase === AllCase.END ? records.length : position === undefined ? 0 : this.log.firstIndexAtOrAfter(position);
      for (; i < records.length && selected.length < count; i += 1) {
        const record = records[i] as LogRecord;
        if (filter.accepts(record)) selected.push(record);
      }
    }
    void this.send(call, selected.map(readEventResponse));
  }

  /** Write with backpressure, then end the call. */
  private async send(call: Grpc.ServerWritableStream<ReadReq, ReadResp>, responses: readonly ReadResp[]): Promise<void> {
    for (const response of responses) {
      if (isGone(call)) return;
      if (!call.write(response)) await drained(call);
    }
    if (!isGone(call)) call.end();
  }

  private proposedEvent(message: ProposedMessage): ProposedEvent | StatusError {
    const metadata = message.getMetadataMap();
    const type = metadata.get('type');
    const contentType = metadata.get('content-type');
    if (type === undefined || contentType === undefined) {
      return statusError(grpc.status.INVALID_ARGUMENT, `Required Metadata Property '${type === undefined ? 'type' : 'content-type'}' is missing`, {
        exception: 'missing-required-metadata-property',
        'required-metadata-properties': 'type,content-type',
      });
    }
    return {
      // EventStoreDB parses ids into GUIDs, so they come back lower-case.
      id: uuidText(message.getId()).toLowerCase(),
      type,
      isJson: contentType === 'application/json',
      data: message.getData_asU8(),
      metadata: message.getCustomMetadata_asU8(),
    };
  }

  private static expectedFromAppend(options: AppendReqOptions): number {
    const Case = streamsPb.AppendReq.Options.ExpectedStreamRevisionCase;
    switch (options.getExpectedStreamRevisionCase()) {
      case Case.REVISION:
        return Number(BigInt(options.getRevision()));
      case Case.NO_STREAM:
        return EXPECTED_NO_STREAM;
      case Case.STREAM_EXISTS:
        return EXPECTED_STREAM_EXISTS;
      default:
        return EXPECTED_ANY;
    }
  }

  private append(call: Grpc.ServerReadableStream<AppendReq, AppendResp>, callback: Grpc.sendUnaryData<AppendResp>): void {
    let options: AppendReqOptions | undefined;
    const events: ProposedEvent[] = [];
    let failure: StatusError | undefined;
    let size = 0;
    call.on('data', (request: AppendReq) => {
      if (failure) return;
      if (!options) {
        options = request.getOptions();
        if (!options) failure = statusError(grpc.status.UNKNOWN, 'Exception was thrown by handler.');
        return;
      }
      const message = request.getProposedMessage();
      const event = message ? this.proposedEvent(message) : statusError(grpc.status.UNKNOWN, 'Exception was thrown by handler.');
      if (event instanceof Error) {
        failure = event;
        return;
      }
      size += event.data.length + event.metadata.length + Buffer.byteLength(event.type);
      if (size > this.maxAppendSize) {
        failure = statusError(grpc.status.INVALID_ARGUMENT, `Maximum Append Size of ${this.maxAppendSize} Exceeded.`, {
          exception: 'maximum-append-size-exceeded',
          'maximum-append-size': String(this.maxAppendSize),
        });
        return;
      }
      events.push(event);
    });
    call.on('end', () => {
      this.calls.append += 1;
      if (failure || !options) return callback(failure ?? statusError(grpc.status.UNKNOWN, 'Exception was thrown by handler.'));
      const fault = this.takeFault('append');
      if (fault && !fault.afterCommit) return callback(this.faultStatus(fault.fault, 'append'));
      const expected = EventStoreDbEmulator.expectedFromAppend(options);
      const outcome = this.write(utf8(options.getStreamIdentifier()?.getStreamName() ?? new Uint8Array()), expected, events);
      if (fault) return callback(this.faultStatus(fault.fault, 'append'));
      callback(null, EventStoreDbEmulator.appendResponse(outcome, options));
    });
  }

  private static appendResponse(outcome: WriteOutcome, options: AppendReqOptions): AppendResp {
    const response = new streamsPb.AppendResp();
    if (outcome.kind === 'success') {
      const success = new streamsPb.AppendResp.Success();
      if (outcome.lastRevision < 0) success.setNoStream(new sharedPb.Empty());
      else success.setCurrentRevision(String(outcome.lastRevision));
      if (outcome.position === undefined) success.setNoPosition(new sharedPb.Empty());
      else {
        const position = new streamsPb.AppendResp.Position();
        position.setCommitPosition(String(outcome.position));
        position.setPreparePosition(String(outcome.position));
        success.setPosition(position);
      }
      response.setSuccess(success);
      return response;
    }
    const wrong = new streamsPb.AppendResp.WrongExpectedVersion();
    if (outcome.currentRevision < 0) wrong.setCurrentNoStream(new sharedPb.Empty());
    else wrong.setCurrentRevision(String(outcome.currentRevision));
    const Case = streamsPb.AppendReq.Options.ExpectedStreamRevisionCase;
    switch (options.getExpectedStreamRevisionCase()) {
      case Case.REVISION:
        wrong.setExpectedRevision(options.getRevision());
        break;
      case Case.NO_STREAM:
        wrong.setExpectedNoStream(new sharedPb.Empty());
        break;
      case Case.STREAM_EXISTS:
        wrong.setExpectedStreamExists(new sharedPb.Empty());
        break;
      default:
        wrong.setExpectedAny(new sharedPb.Empty());
    }
    response.setWrongExpectedVersion(wrong);
    return response;
  }

  private batchAppend(call: Grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>): void {
    const pending = new Map<string, PendingBatch>();
    const reply = (batch: Pick<PendingBatch, 'correlation' | 'stream'>, fill: (response: BatchAppendResp) => void): void => {
      if (isGone(call)) return;
      const response = new streamsPb.BatchAppendResp();
      response.setCorrelationId(batch.correlation);
      response.setStreamIdentifier(streamIdentifier(batch.stream));
      fill(response);
      call.write(response);
    };
    const replyError = (batch: Pick<PendingBatch, 'correlation' | 'stream'>, status: Status): void => reply(batch, (r) => r.setError(status));

    call.on('data', (request: BatchAppendReq) => {
      const correlation = request.getCorrelationId() ?? new sharedPb.UUID();
      const key = uuidText(correlation);
      const options = request.getOptions();
      if (options) {
        const stream = utf8(options.getStreamIdentifier()?.getStreamName() ?? new Uint8Array());
        if (!options.hasStreamIdentifier()) {
          const detail = new sharedPb.BadRequest();
          detail.setMessage('Required field StreamIdentifier not set.');
          replyError({ correlation, stream }, packStatus(grpc.status.INVALID_ARGUMENT, 'BadRequest', 'event_store.client.BadRequest', detail));
          return;
        }
        const Case = streamsPb.BatchAppendReq.Options.ExpectedStreamPositionCase;
        const expected =
          options.getExpectedStreamPositionCase() === Case.STREAM_POSITION
            ? Number(BigInt(options.getStreamPosition()))
            : options.getExpectedStreamPositionCase() === Case.NO_STREAM
              ? EXPECTED_NO_STREAM
              : options.getExpectedStreamPositionCase() === Case.STREAM_EXISTS
                ? EXPECTED_STREAM_EXISTS
                : EXPECTED_ANY;
        const deadline = options.getDeadline()?.toDate();
        if (deadline !== undefined && deadline.getTime() <= Date.now()) {
          replyError({ correlation, stream }, packStatus(grpc.status.DEADLINE_EXCEEDED, 'Timeout', 'event_store.client.Timeout', new sharedPb.Timeout()));
          return;
        }
        if (!pending.has(key)) pending.set(key, { stream, expected, correlation, deadline, events: [], size: 0 });
      }
      const batch = pending.get(key);
      if (!batch) return;
      for (const message of request.getProposedMessagesList()) {
        const event = this.proposedEvent(message);
        if (event instanceof Error) {
          pending.delete(key);
          const detail = new sharedPb.BadRequest();
          detail.setMessage(`The given key '${event.details.includes("'type'") ? 'type' : 'content-type'}' was not present in the dictionary.`);
          replyError(batch, packStatus(grpc.status.INVALID_ARGUMENT, 'BadRequest', 'event_store.client.BadRequest', detail));
          return;
        }
        batch.size += event.data.length + event.metadata.length + Buffer.byteLength(event.type);
        batch.events.push(event);
      }
      if (batch.size > this.maxAppendSize) {
        pending.delete(key);
        const detail = new sharedPb.MaximumAppendSizeExceeded();
        detail.setMaxappendsize(this.maxAppendSize);
        replyError(batch, packStatus(grpc.status.INVALID_ARGUMENT, 'MaximumAppendSizeExceeded', 'event_store.client.MaximumAppendSizeExceeded', detail));
        return;
      }
      if (!request.getIsFinal()) return;
      pending.delete(key);
      this.calls.append += 1;

      const fault = this.takeFault('append');
      const outcome = fault && !fault.afterCommit ? undefined : this.write(batch.stream, batch.expected, batch.events);
      if (fault) {
        this.batchFault(call, batch, fault.fault, replyError);
        return;
      }
      if (!outcome) return;
      if (outcome.kind === 'success') {
        reply(batch, (response) => {
          const success = new streamsPb.BatchAppendResp.Success();
          if (outcome.lastRevision < 0) success.setNoStream(new emptyPb.Empty());
          else success.setCurrentRevision(String(outcome.lastRevision));
          if (outcome.position === undefined) success.setNoPosition(new emptyPb.Empty());
          else {
            const position = new sharedPb.AllStreamPosition();
            position.setCommitPosition(String(outcome.position));
            position.setPreparePosition(String(outcome.position));
            success.setPosition(position);
          }
          response.setSuccess(success);
        });
        return;
      }
      const detail = new sharedPb.WrongExpectedVersion();
      if (outcome.currentRevision < 0) detail.setCurrentNoStream(new emptyPb.Empty());
      else detail.setCurrentStreamRevision(String(outcome.currentRevision));
      if (batch.expected >= 0) detail.setExpectedStreamPosition(String(batch.expected));
      else if (batch.expected === EXPECTED_NO_STREAM) detail.setExpectedNoStream(new emptyPb.Empty());
      else if (batch.expected === EXPECTED_STREAM_EXISTS) detail.setExpectedStreamExists(new emptyPb.Empty());
      else detail.setExpectedAny(new emptyPb.Empty());
      replyError(batch, packStatus(grpc.status.ALREADY_EXISTS, 'WrongExpectedVersion', 'event_store.client.WrongExpectedVersion', detail));
    });
    call.on('end', () => {
      if (!isGone(call)) call.end();
    });
    call.on('error', () => undefined);
  }

  private batchFault(
    call: Grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>,
    batch: PendingBatch,
    fault: EmulatorFault,
    replyError: (batch: PendingBatch, status: Status) => void,
  ): void {
    switch (fault) {
      case 'unavailable':
      case 'deadline-exceeded':
        // The whole shared stream fails, as when the connection drops.
        call.emit('error', this.faultStatus(fault, 'append'));
        return;
      case 'timeout':
        replyError(batch, packStatus(grpc.status.DEADLINE_EXCEEDED, 'Timeout', 'event_store.client.Timeout', new sharedPb.Timeout()));
        return;
      case 'not-ready': {
        // What EventStoreDB's BatchAppend sends for NotHandled(NotReady): no code, an Empty detail.
        const status = new statusPb.Status();
        const any = new anyPb.Any();
        any.pack(new emptyPb.Empty().serializeBinary(), 'google.protobuf.Empty');
        status.setMessage('Server Is Not Ready');
        status.setDetails(any);
        replyError(batch, status);
        return;
      }
      case 'unknown':
        replyError(batch, packStatus(grpc.status.UNKNOWN, 'Unknown', 'event_store.client.Unknown', new sharedPb.Unknown()));
        return;
    }
  }
}
