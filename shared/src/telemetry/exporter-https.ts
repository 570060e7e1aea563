import https from 'node:https';

/**
 * What OpenTelemetry's OTLP exporter takes from `node:https` (its `import('https')`, routed here by
 * exporter-http-imports.ts): the agent class and the request function, and nothing else.
 */
export const Agent = https.Agent;
export const request = https.request;
