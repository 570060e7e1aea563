import { ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';
import { ConfigError, parseEnv } from '../config/parse-env';
import { buildSampler, otlpTracesUrl } from './start-telemetry';
import { telemetryEnvSchema, telemetrySettings } from './telemetry-config';

const load = (env: Record<string, string>) => telemetrySettings(parseEnv(z.object(telemetryEnvSchema), env));

describe('telemetry settings', () => {
  test('when nothing is set, then nothing is exported and the sampler follows the caller, recording every new trace', () => {
    expect(load({})).toEqual({ otlpEndpoint: undefined, otlpProtocol: 'http/protobuf', sampler: 'parentbased_always_on', samplerRatio: 1 });
  });

  test('when the standard variables are set, then they are read as the OpenTelemetry specification names them', () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    };
    expect(load(env)).toEqual({
      otlpEndpoint: 'http://collector:4318',
      otlpProtocol: 'http/json',
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
    });
  });

  test('when the endpoint, the sampler and its ratio are invalid, then each is named on a line of its own', () => {
    let problems: string[] = [];
    try {
      load({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'collector',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_TRACES_SAMPLER: 'sometimes',
        OTEL_TRACES_SAMPLER_ARG: '2',
      });
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems.map((line) => line.split(':')[0])).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_TRACES_SAMPLER',
      'OTEL_TRACES_SAMPLER_ARG',
    ]);
  });

  test('when the endpoint is a base URL, then traces go to its /v1/traces', () => {
    expect(otlpTracesUrl('http://collector:4318')).toBe('http://collector:4318/v1/traces');
    expect(otlpTracesUrl('https://otel.example.com/otlp/')).toBe('https://otel.example.com/otlp/v1/traces');
  });
});

describe('sampler', () => {
  const sampler = buildSampler({ sampler: 'parentbased_always_on', samplerRatio: 1 });
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const decide = (name: string, parent = ROOT_CONTEXT) => sampler.shouldSample(parent, traceId, name, SpanKind.INTERNAL, {}, []).decision;

  test('when a request starts a trace, then it is recorded', () => {
    expect(decide('POST /graphql')).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  test('when database work starts a trace of its own (background polling), then it is not recorded', () => {
    expect(decide('prisma:client:operation')).toBe(SamplingDecision.NOT_RECORD);
  });

  test('when database work happens inside a sampled request, then it is recorded', () => {
    const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED });
    expect(decide('prisma:client:db_query', parent)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });
});
