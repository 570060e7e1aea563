import type { Viewer } from '@fedshop/shared/auth';
import { DateTimeScalar, parsePageRequest } from '@fedshop/shared/graphql';
import type { Order, OrderItem, OrderStatus } from '../domain/order';
import { isSku, isUuid, type PlaceOrderInput, type ProductInput } from '../domain/order-input';
import { listProducts, upsertProduct } from '../use-cases/manage-catalog';
import { cancelOrder, getVisibleOrder, shipOrder } from '../use-cases/manage-orders';
import { placeOrder } from '../use-cases/place-order';
import type { OrdersContext } from './context';
import type { UserOrdersKey } from './loaders';

/** Viewer is guaranteed by the permission layer for these fields. */
function viewerOf(context: OrdersContext): Viewer {
  if (!context.viewer) throw new Error('permission layer let an anonymous call through');
  return context.viewer;
}

type OrderWithOptionalItems = Order & { items?: OrderItem[] };

/**
 * Thin GraphQL transport: unpack arguments, call a use case or a loader, return domain
 * objects. Who may call what lives in permissions.ts.
 */
export const ordersResolvers = {
  DateTime: DateTimeScalar,
  Query: {
    products: (_: unknown, args: { first?: number | null; after?: string | null }, context: OrdersContext) =>
      listProducts(context.deps, args),
    product: (_: unknown, args: { sku: string }, context: OrdersContext) =>
      isSku(args.sku) ? context.loaders.productBySku.load(args.sku) : null,
    order: (_: unknown, args: { id: string }, context: OrdersContext) => getVisibleOrder(context.deps, viewerOf(context), args.id),
  },
  Mutation: {
    upsertProduct: (_: unknown, args: { input: ProductInput }, context: OrdersContext) => upsertProduct(context.deps, args.input),
    placeOrder: (_: unknown, args: { input: PlaceOrderInput }, context: OrdersContext) =>
      placeOrder(context.deps, viewerOf(context), args.input, context.requestId),
    cancelOrder: (_: unknown, args: { id: string }, context: OrdersContext) => cancelOrder(context.deps, viewerOf(context), args.id),
    shipOrder: (_: unknown, args: { id: string }, context: OrdersContext) => shipOrder(context.deps, args.id),
  },
  User: {
    // Users live in the users subgraph; here a user is just an id that orders hang off.
    __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
    /**
     * Only checks the arguments (a bad `first` or `after` fails here, before anything is
     * loaded); OrderConnection's fields then load just what the client selected.
     */
    orders: (user: { id: string }, args: { first?: number | null; after?: string | null; status?: OrderStatus | null }): UserOrdersKey => {
      const page = parsePageRequest(args, isUuid);
      return { userId: user.id, limit: page.limit, afterId: page.afterKey, status: args.status ?? null };
    },
  },
  // Reached only through User.orders. Count and page are separate loaders, each one statement
  // for all users of the request, so `orders { totalCount }` (the admin fan-out) never loads a page.
  OrderConnection: {
    totalCount: (key: UserOrdersKey, _: unknown, context: OrdersContext) => context.loaders.userOrderCount.load(key),
    edges: async (key: UserOrdersKey, _: unknown, context: OrdersContext) => (await context.loaders.userOrdersPage.load(key)).edges,
    pageInfo: async (key: UserOrdersKey, _: unknown, context: OrdersContext) => (await context.loaders.userOrdersPage.load(key)).pageInfo,
  },
  Product: {
    __resolveReference: (reference: { sku: string }, context: OrdersContext) =>
      typeof reference.sku === 'string' && isSku(reference.sku) ? context.loaders.productBySku.load(reference.sku) : null,
  },
  Order: {
    __resolveReference: (reference: { id: string }, context: OrdersContext) =>
      typeof reference.id === 'string' && isUuid(reference.id) ? context.loaders.orderById.load(reference.id) : null,
    user: (order: Order) => ({ __typename: 'User', id: order.userId }),
    items: (order: OrderWithOptionalItems, _: unknown, context: OrdersContext) =>
      order.items ?? context.loaders.itemsByOrderId.load(order.id),
  },
  OrderItem: {
    product: (item: OrderItem, _: unknown, context: OrdersContext) => context.loaders.productBySku.load(item.sku),
  },
};
