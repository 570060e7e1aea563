import { Metadata, type CallOptions, type ClientOptions, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { fromGrpcError } from './grpc-status';
import type { GrpcMetrics } from '../metrics/grpc-metrics';
import { clientMetricsInterceptor } from './grpc-call-metrics';

/** Metadata key that carries the originating HTTP request's id across gRPC hops. */
export const REQUEST_ID_METADATA_KEY = 'x-request-id';

/**
 * Client channel options: keepalive pings every 30 s keep the one long-lived channel per
 * downstream healthy (never one channel per request), and let a dead peer be noticed
 * without waiting for a call to time out.
 */
export const GRPC_CLIENT_OPTIONS: Partial<ClientOptions> = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': 1024 * 1024,
  // Reconnect quickly after a peer restarts instead of backing off for up to two minutes.
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 5_000,
};

/** The channel options of a client to another service, with its calls measured when `metrics` is given. */
export function grpcClientOptions(metrics?: GrpcMetrics): Partial<ClientOptions> {
  return metrics ? { ...GRPC_CLIENT_OPTIONS, interceptors: [clientMetricsInterceptor(metrics)] } : GRPC_CLIENT_OPTIONS;
}

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

export interface UnaryCallOptions {
  /** Name of the called service, for error messages (e.g. `users`). */
  downstream: string;
  /** Deadline: milliseconds from now, or an absolute time shared by all attempts of one logical call. */
  deadlineMs?: number;
  deadlineAt?: number;
  /** Propagated as `x-request-id` metadata. */
  requestId?: string;
}

/**
 * Calls a unary method with a deadline and turns failures into AppErrors
 * (transport problems become SERVICE_UNAVAILABLE, retryable).
 */
export function callUnary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, options: UnaryCallOptions): Promise<Res> {
  const metadata = new Metadata();
  if (options.requestId) metadata.set(REQUEST_ID_METADATA_KEY, options.requestId);
  return new Promise<Res>((resolve, reject) => {
    const deadline = options.deadlineAt ?? Date.now() + (options.deadlineMs ?? 1_000);
    method(request, metadata, { deadline }, (error, response) => {
      if (error) reject(fromGrpcError(error, options.downstream));
      else resolve(response);
    });
  });
}
