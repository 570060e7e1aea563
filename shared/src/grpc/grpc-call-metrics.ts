import { InterceptingCall, ServerInterceptingCall, status as grpcStatus, type Interceptor, type ServerInterceptor } from '@grpc/grpc-js';
import { boundedLabel } from '../metrics/bounded-label';
import type { GrpcMetrics } from '../metrics/grpc-metrics';

/** `OK`, `NOT_FOUND`, `UNAVAILABLE`... (grpc-js's status enum, read backwards). */
export function grpcStatusName(code: number): string {
  return (grpcStatus as unknown as Record<number, string>)[code] ?? 'UNKNOWN';
}

/** Method paths are the services' own, but nothing a peer sends should grow the label set without bound. */
const methodLabel = boundedLabel({ max: 50, pattern: /^[A-Za-z0-9_.]{1,100}\/[A-Za-z0-9_]{1,64}$/ });

/** `user.v1.UserService/GetUser` from `/user.v1.UserService/GetUser`. */
function methodOf(path: string): string {
  return methodLabel(path.replace(/^\//, ''));
}

/** Client side: each call's (each attempt's) latency by method and status, in `grpc_client_call_duration_seconds`. */
export function clientMetricsInterceptor(metrics: GrpcMetrics): Interceptor {
  return (options, nextCall) => {
    const method = methodOf(options.method_definition.path);
    const started = performance.now();
    return new InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            metrics.clientDuration.observe({ method, status: grpcStatusName(status.code) }, (performance.now() - started) / 1000);
            nextStatus(status);
          },
        });
      },
    });
  };
}

/** Server side: each call's latency by method and the status it ended with (`CANCELLED` when the caller gave up). */
export function serverMetricsInterceptor(metrics: GrpcMetrics): ServerInterceptor {
  return (descriptor, call) => {
    const method = methodOf(descriptor.path);
    const started = performance.now();
    let recorded = false;
    const record = (code: number) => {
      if (recorded) return;
      recorded = true;
      metrics.serverDuration.observe({ method, status: grpcStatusName(code) }, (performance.now() - started) / 1000);
    };
    return new ServerInterceptingCall(call, {
      start(next) {
        next({ onCancel: () => record(grpcStatus.CANCELLED) });
      },
      sendStatus(status, next) {
        record(status.code);
        next(status);
      },
    });
  };
}
