/** gRPC between services: server and clients, resilience, status mapping, and the generated contracts. */
export * from './grpc-server';
export * from './grpc-client';
export * from './resilient-caller';
export * from './grpc-call-metrics';
export * from './grpc-status';
export * as userV1 from '../generated/proto/user/v1/user';
export * as orderV1 from '../generated/proto/order/v1/order';
