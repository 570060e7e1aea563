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
 * The tracing variables every service reads, under the OpenTelemetry standard names, spread
 * into each service's config schema (config is parsed once; nothing else reads them).
 */
export const telemetryEnvSchema = {
  OTEL_EXPORTER_OTLP_ENDPOINT: env.url().optional(),
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
  /** Which traces are recorded and exported (`parentbased_always_on`). */
  sampler: TracesSampler;
  /** Ratio of the `*traceidratio` samplers, 0..1 (1). */
  samplerRatio: number;
}

export function telemetrySettings(raw: {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_TRACES_SAMPLER: TracesSampler;
  OTEL_TRACES_SAMPLER_ARG?: number;
}): TelemetrySettings {
  return {
    otlpEndpoint: raw.OTEL_EXPORTER_OTLP_ENDPOINT,
    sampler: raw.OTEL_TRACES_SAMPLER,
    samplerRatio: raw.OTEL_TRACES_SAMPLER_ARG ?? 1,
  };
}
