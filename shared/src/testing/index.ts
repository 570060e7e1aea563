/**
 * Test helpers shared by every service's tests: real databases, free ports, captured logs, metrics.
 * In-memory tracing is `@fedshop/shared/testing/telemetry`, apart: it loads the tracing SDK.
 */
export * from './test-database';
export * from './free-port';
export * from './test-logger';
export * from './read-metric';
