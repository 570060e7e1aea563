/** Test helpers shared by every service's tests: real databases, free ports, captured logs. */
export * from './test-database';
export * from './free-port';
export * from './test-logger';
