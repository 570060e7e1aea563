import { Metadata, type CallOptions, type ClientOptions, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { currentRequestId } from '../context/request-scope';
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
  /** Cancels the call when aborted (e.g. a long poll at shutdown); it then rejects as SERVICE_UNAVAILABLE. */
  signal?: AbortSignal;
}

/**
 * Calls a unary method with a deadline, propagating the current request's id as `x-request-id` and turns failures into AppErrors
 * (transport problems become SERVICE_UNAVAILABLE, retryable).
 */
export function callUnary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, options: UnaryCallOptions): Promise<Res> {
  const metadata = new Metadata();
  // The request being served (its scope) is who this call is for: its id travels on.
  const requestId = currentRequestId();
  if (requestId) metadata.set(REQUEST_ID_METADATA_KEY, requestId);
  return new Promise<Res>((resolve, reject) => {
    const deadline = options.deadlineAt ?? Date.now() + (options.deadlineMs ?? 1_000);
    let call: ClientUnaryCall | undefined;
    const cancel = () => call?.cancel();
    call = method(request, metadata, { deadline }, (error, response) => {
      options.signal?.removeEventListener('abort', cancel);
      if (error) reject(fromGrpcError(error, options.downstream));
      else resolve(response);
    });
    if (options.signal?.aborted) cancel();
    else options.signal?.addEventListener('abort', cancel, { once: true });
  });
}
