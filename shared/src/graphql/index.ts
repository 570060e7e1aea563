/** GraphQL helpers for the gateway and the subgraphs: pagination, scalars, the viewer, compact results. */
export * from './pagination';
export * from './date-time-scalar';
export * from './request-viewer';
export * from './compact-result';
