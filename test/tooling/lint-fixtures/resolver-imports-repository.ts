// Linted as subgraphs/orders/src/graphql/resolvers.ts: a transport reaching a repository.
import { createOrderRepository } from '../repositories/order-repository';
export const repositoryFactory = createOrderRepository;
