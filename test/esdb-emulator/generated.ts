import { createRequire } from 'node:module';

/*
 * The gRPC service definitions and protobuf messages GENERATED IN the
 * @eventstore/db-client package (its `generated/` folder), loaded for the
 * EventStoreDB EMULATOR. They are CommonJS, so they are loaded with
 * createRequire; their own .d.ts files give the types. Loading the package's
 * copies (not a re-generation of the .proto files) keeps the emulator on
 * exactly the wire format the client speaks. @grpc/grpc-js is loaded through
 * the same require, so the server and the generated serializers share one
 * instance of it.
 */

const require = createRequire(import.meta.url);
const GENERATED = '@eventstore/db-client/generated/';

export const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
export const streamsPb = require(`${GENERATED}streams_pb.js`) as typeof import('@eventstore/db-client/generated/streams_pb.js');
export const streamsGrpc = require(`${GENERATED}streams_grpc_pb.js`) as typeof import('@eventstore/db-client/generated/streams_grpc_pb.js');
export const sharedPb = require(`${GENERATED}shared_pb.js`) as typeof import('@eventstore/db-client/generated/shared_pb.js');
export const statusPb = require(`${GENERATED}status_pb.js`) as typeof import('@eventstore/db-client/generated/status_pb.js');
export const serverFeaturesPb = require(`${GENERATED}serverfeatures_pb.js`) as typeof import('@eventstore/db-client/generated/serverfeatures_pb.js');
export const serverFeaturesGrpc = require(`${GENERATED}serverfeatures_grpc_pb.js`) as typeof import('@eventstore/db-client/generated/serverfeatures_grpc_pb.js');
export const gossipPb = require(`${GENERATED}gossip_pb.js`) as typeof import('@eventstore/db-client/generated/gossip_pb.js');
export const gossipGrpc = require(`${GENERATED}gossip_grpc_pb.js`) as typeof import('@eventstore/db-client/generated/gossip_grpc_pb.js');
export const anyPb = require('google-protobuf/google/protobuf/any_pb.js') as typeof import('google-protobuf/google/protobuf/any_pb.js');
export const emptyPb = require('google-protobuf/google/protobuf/empty_pb.js') as typeof import('google-protobuf/google/protobuf/empty_pb.js');

export type ReadReq = import('@eventstore/db-client/generated/streams_pb.js').ReadReq;
export type ReadResp = import('@eventstore/db-client/generated/streams_pb.js').ReadResp;
export type AppendReq = import('@eventstore/db-client/generated/streams_pb.js').AppendReq;
export type AppendResp = import('@eventstore/db-client/generated/streams_pb.js').AppendResp;
export type BatchAppendReq = import('@eventstore/db-client/generated/streams_pb.js').BatchAppendReq;
export type BatchAppendResp = import('@eventstore/db-client/generated/streams_pb.js').BatchAppendResp;
export type Uuid = import('@eventstore/db-client/generated/shared_pb.js').UUID;
export type Status = import('@eventstore/db-client/generated/status_pb.js').Status;
export type ReadReqOptions = import('@eventstore/db-client/generated/streams_pb.js').ReadReq.Options;
export type AppendReqOptions = import('@eventstore/db-client/generated/streams_pb.js').AppendReq.Options;
export type ProposedMessage =
  | import('@eventstore/db-client/generated/streams_pb.js').AppendReq.ProposedMessage
  | import('@eventstore/db-client/generated/streams_pb.js').BatchAppendReq.ProposedMessage;
