/** Durable events between services: the bus interface, JetStream, the orders stream and its messages. */
export * from './event-bus';
export * from './jetstream-bus';
export * from './lazy-bus';
export * from './open-event-bus';
export * from './orders-stream';
export * as orderEventsV1 from '../generated/proto/order/v1/events';
