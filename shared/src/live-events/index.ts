/** Fan-out of committed writes to GraphQL subscriptions: bounded async queues and live feeds (core NATS or in process). */
export * from './async-event-queue';
export * from './live-feed';
export * from './map-async-iterator';
