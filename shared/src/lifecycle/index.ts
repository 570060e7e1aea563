/** Running a service as a process: config once, logger, tracing, signals and draining. */
export * from './run-service';
