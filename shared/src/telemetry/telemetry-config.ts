import { z } from 'zod';
import { env } from '../config/parse-env';

/** The samplers of the OpenTelemetry specification's `OTEL_TRACES_SAMPLER`. */
export const TRACES_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type TracesSampler = (typeof TRACES_SAMPLERS)[number];

/**
 * The OTLP/HTTP encodings of `OTEL_EXPORTER_OTLP_PROTOCOL`; protobuf is the specification's
 * default (smaller and cheaper to encode). `grpc` is not offered: the collector's HTTP port it is.
 */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/**
 * The tracing variables every service reads, under the OpenTelemetry standard names, spread
 * into each service's config schema (config is parsed once; nothing else reads them).
 */
export const telemetryEnvSchema = {
  OTEL_EXPORTER_OTLP_ENDPOINT: env.url().optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(OTLP_PROTOCOLS, { message: `must be one of ${OTLP_PROTOCOLS.join(', ')}` }).default('http/protobuf'),
  OTEL_TRACES_SAMPLER: z
    .enum(TRACES_SAMPLERS, { message: `must be one of ${TRACES_SAMPLERS.join(', ')}` })
    .default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number({ message: 'must be a number' }).min(0).max(1).optional(),
};

export interface TelemetrySettings {
  /**
   * OTLP/HTTP collector base URL (`http://otel-collector:4318`); spans go to `<url>/v1/traces`.
   * Unset: spans are not recorded at all, only their ids (trace and span ids still reach the logs
   * and the `traceparent` sent downstream). Nothing is ever printed to the console.
   */
  otlpEndpoint?: string;
  /** How spans are encoded for the collector (`http/protobuf`). */
  otlpProtocol: OtlpProtocol;
  /** Which traces are recorded and exported (`parentbased_always_on`). */
  sampler: TracesSampler;
  /** Ratio of the `*traceidratio` samplers, 0..1 (1). */
  samplerRatio: number;
}

export function telemetrySettings(raw: {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_PROTOCOL: OtlpProtocol;
  OTEL_TRACES_SAMPLER: TracesSampler;
  OTEL_TRACES_SAMPLER_ARG?: number;
}): TelemetrySettings {
  return {
    otlpEndpoint: raw.OTEL_EXPORTER_OTLP_ENDPOINT,
    otlpProtocol: raw.OTEL_EXPORTER_OTLP_PROTOCOL,
    sampler: raw.OTEL_TRACES_SAMPLER,
    samplerRatio: raw.OTEL_TRACES_SAMPLER_ARG ?? 1,
  };
}
