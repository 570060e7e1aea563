import {
  Server,
  ServerCredentials,
  status as grpcStatus,
  type ServiceDefinition,
  type UntypedServiceImplementation,
  type handleUnaryCall,
  type ServerUnaryCall,
  type Metadata,
} from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { Logger } from 'pino';
import { AppError } from '../errors/app-error';
import { runInRequestScope } from '../context/request-scope';
import { toGrpcStatus } from './grpc-status';
import { translateInfrastructureError } from '../errors/infrastructure-errors';
import type { GrpcMetrics } from '../metrics/grpc-metrics';
import { grpcStatusName, serverMetricsInterceptor } from './grpc-call-metrics';
import { REQUEST_ID_METADATA_KEY } from './grpc-client';

export interface GrpcServiceRegistration {
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

export interface GrpcHealthOptions {
  /** Resolves while the service can do its work (its database answers); rejects otherwise. */
  check: () => Promise<void>;
  /** How often the check runs, ms (2000). */
  intervalMs?: number;
}

export interface GrpcServerOptions {
  /** Interface to bind; default `0.0.0.0`. */
  host?: string;
  /** Port; 0 picks a free one (tests). */
  port: number;
  services: GrpcServiceRegistration[];
  logger: Logger;
  /**
   * Serves the standard grpc.health.v1.Health service: SERVING while `check` passes,
   * NOT_SERVING while it fails (e.g. the database is unreachable) and once stopping.
   */
  health?: GrpcHealthOptions;
  /** Where each call's latency is recorded, by method and status (`grpc_server_call_duration_seconds`). */
  metrics?: GrpcMetrics;
}

export interface RunningGrpcServer {
  /** The port actually bound. */
  port: number;
  /** Stops accepting calls, lets in-flight calls finish for up to `graceMs`, then cuts the rest. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Server-side keepalive: answer client pings down to every 10 s so idle channels between
 * services stay warm through proxies, and send our own pings to notice dead peers.
 */
const SERVER_OPTIONS = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.http2.min_ping_interval_without_data_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': 1024 * 1024,
};

/** `user.v1.UserService` from a definition whose methods have paths like `/user.v1.UserService/GetUser`. */
function serviceNameOf(definition: ServiceDefinition): string {
  const path = Object.values(definition)[0]?.path ?? '';
  return path.split('/')[1] ?? '';
}

export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const interceptors = options.metrics ? [serverMetricsInterceptor(options.metrics)] : [];
  const server = new Server({ ...SERVER_OPTIONS, interceptors });
  for (const { definition, implementation } of options.services) server.addService(definition, implementation);
  const health = options.health
    ? watchHealth(
        server,
        options.services.map((s) => serviceNameOf(s.definition)),
        options.health,
        options.logger,
      )
    : undefined;
  const address = `${options.host ?? '0.0.0.0'}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, boundPort) => (error ? reject(error) : resolve(boundPort)));
  });
  options.logger.debug({ port }, 'gRPC server listening');
  return {
    port,
    stop: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        health?.stop();
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

/** What a unary handler gets besides its request. */
export interface GrpcCallContext {
  metadata: Metadata;
  requestId: string;
  logger: Logger;
}

/**
 * Adapts an async use-case call to grpc-js's callback handler. Errors go through
 * toGrpcStatus (the one mapping); unexpected ones are logged with the caller's request id.
 * Each call is one info line (method, status, duration), like an HTTP request: written inside
 * the call's request scope and trace, so it carries the caller's request id and trace id.
 */
export function unaryHandler<Req, Res>(
  logger: Logger,
  method: string,
  handle: (request: Req, context: GrpcCallContext) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback) => {
    const started = performance.now();
    const requestId = call.metadata.get(REQUEST_ID_METADATA_KEY)[0]?.toString() || randomUUID();
    const callLogger = logger.child({ grpcMethod: method });
    const finished = (code: number) =>
      callLogger.info({ status: grpcStatusName(code), durationMs: Math.round((performance.now() - started) * 10) / 10 }, 'grpc request');
    void runInRequestScope({ requestId }, async () => {
      let response: Res;
      try {
        response = await handle(call.request, { metadata: call.metadata, requestId, logger: callLogger });
      } catch (error) {
        if (!(error instanceof AppError) && translateInfrastructureError(error)) {
          callLogger.warn({ err: error }, 'gRPC handler failed: database unavailable');
        } else if (!(error instanceof AppError) || error.code === 'INTERNAL_SERVER_ERROR') {
          callLogger.error({ err: error }, 'gRPC handler failed');
        }
        const status = toGrpcStatus(error);
        finished(status.code ?? grpcStatus.UNKNOWN);
        callback(status);
        return;
      }
      finished(grpcStatus.OK);
      callback(null, response);
    });
  };
}

/** Runs the health check on an interval and publishes the result through grpc.health.v1.Health. */
function watchHealth(server: Server, serviceNames: string[], options: GrpcHealthOptions, logger: Logger) {
  const names = ['', ...serviceNames];
  const implementation = new HealthImplementation(Object.fromEntries(names.map((name) => [name, 'SERVING' as const])));
  implementation.addToServer(server);
  let current: ServingStatus = 'SERVING';
  let stopped = false;
  const publish = (status: ServingStatus) => {
    if (status === current) return;
    current = status;
    for (const name of names) implementation.setStatus(name, status);
    logger.warn({ grpcHealth: status }, `gRPC health is ${status}`);
  };
  const probe = () => {
    options.check().then(
      () => !stopped && publish('SERVING'),
      () => !stopped && publish('NOT_SERVING'),
    );
  };
  probe();
  const timer = setInterval(probe, options.intervalMs ?? 2_000);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      publish('NOT_SERVING');
    },
  };
}
