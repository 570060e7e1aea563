import { allow, deny, rule, shield } from 'graphql-shield';
import { isAdmin } from '@fedshop/shared/auth';
import { forbidden, notFound, unauthenticated } from '@fedshop/shared/errors';
import { shieldFallbackError, validEntityRepresentations, adminOnly, anyone, signedIn } from '@fedshop/shared/subgraph';
import type { Order } from '../domain/order';
import type { OrdersContext } from './context';

/** The account itself or an admin (for User.orders). Looks at the parent, so never cached. */
const isSelfOrAdmin = rule({ cache: 'no_cache' })((parent: { id: string }, _args, context: OrdersContext) => {
  if (isAdmin(context.viewer) || context.viewer?.id === parent.id) return true;
  return context.viewer ? forbidden('Only the account itself or an admin can see its orders.') : unauthenticated();
});

/**
 * Order fields, however the order was reached (order(id), a mutation, or a hand-made
 * `_entities` request): its owner or an admin. Others get NOT_FOUND, as if it did not exist.
 */
const isOrderOwnerOrAdmin = rule({ cache: 'no_cache' })((parent: Order, _args, context: OrdersContext) => {
  if (!context.viewer) return unauthenticated();
  return isAdmin(context.viewer) || parent.userId === context.viewer.id ? true : notFound('No such order.');
});

/**
 * Who may read and do what in the orders subgraph. Anything not listed is denied
 * (fallbackRule deny). Federation's `_service` is open and `_entities` takes well-formed
 * representations: the field rules still apply to the entities they return.
 */
export const ordersPermissions = shield(
  {
    Query: {
      '*': deny,
      products: anyone,
      product: anyone,
      order: signedIn,
      _service: allow,
      _entities: validEntityRepresentations,
    },
    Mutation: {
      '*': deny,
      upsertProduct: adminOnly,
      placeOrder: signedIn,
      cancelOrder: signedIn,
      shipOrder: adminOnly,
    },
    Subscription: {
      '*': deny,
      orderStatusChanged: signedIn,
    },
    User: { id: allow, orders: isSelfOrAdmin },
    Order: isOrderOwnerOrAdmin,
    OrderItem: allow,
    Product: allow,
    // Only User.orders (isSelfOrAdmin) leads here; these fields load the orders themselves, so
    // they are listed one by one and a field added later is denied until it is listed.
    OrderConnection: { totalCount: allow, edges: allow, pageInfo: allow },
    OrderEdge: allow,
    ProductConnection: allow,
    ProductEdge: allow,
    PageInfo: allow,
    _Service: allow,
  },
  {
    fallbackRule: deny,
    allowExternalErrors: false,
    fallbackError: shieldFallbackError,
  },
);
