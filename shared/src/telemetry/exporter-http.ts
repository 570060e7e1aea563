import http from 'node:http';

/**
 * What OpenTelemetry's OTLP exporter takes from `node:http` (its `import('http')`, routed here by
 * exporter-http-imports.ts): the agent class and the request function, and nothing else.
 */
export const Agent = http.Agent;
export const request = http.request;
