import { useMutation } from '@apollo/client/react';
import { useState } from 'react';
import { useLocation, usePageTitle } from '../app/router';
import { describeError, type ErrorDescription } from '../errors/describe-error';
import { ErrorNotice } from '../errors/error-notice';
import { formatDateTime, formatMoney, shortId } from '../format';
import { CancelOrderDocument, type OrderFieldsFragment, type OrderStatus } from '../graphql/generated/graphql';
import { useMyOrdersLive } from './use-order-updates';

const STATUS_LABELS: Record<OrderStatus, string> = { CONFIRMED: 'Confirmed', SHIPPED: 'Shipped', CANCELLED: 'Cancelled' };

export function OrdersPage() {
  usePageTitle('My orders');
  const { search } = useLocation();
  const placed = search.get('placed');
  const { data, error, refetch } = useMyOrdersLive();
  const orders = data?.me?.orders;
  return (
    <section aria-labelledby="page-heading">
      <h1 id="page-heading" tabIndex={-1}>
        My orders
      </h1>
      {placed ? (
        <p className="notice notice-success" role="status">
          Thank you! Order {shortId(placed)} is confirmed.
        </p>
      ) : null}
      {error && !orders ? <ErrorNotice error={describeError(error)} onRetry={() => void refetch()} /> : null}
      {orders && orders.edges.length === 0 ? <p>No orders yet.</p> : null}
      {/* Status changes are announced politely as they arrive. */}
      <ol className="orders" aria-live="polite">
        {orders?.edges.map(({ node }) => (
          <li key={node.id}>
            <OrderCard order={node} highlighted={node.id === placed} />
          </li>
        ))}
      </ol>
    </section>
  );
}

function OrderCard({ order, highlighted }: { order: OrderFieldsFragment; highlighted: boolean }) {
  const [cancelOrder, { loading }] = useMutation(CancelOrderDocument);
  const [error, setError] = useState<ErrorDescription | null>(null);
  return (
    <article className={`card order${highlighted ? ' highlighted' : ''}`} aria-labelledby={`order-${order.id}`} data-order-id={order.id}>
      <h2 id={`order-${order.id}`}>
        Order {shortId(order.id)}{' '}
        <span className={`status status-${order.status.toLowerCase()}`} data-testid="order-status">
          {STATUS_LABELS[order.status]}
        </span>
      </h2>
      <p className="muted">
        {formatDateTime(order.createdAt)} · {formatMoney(order.totalCents, order.currency)}
      </p>
      <ul>
        {order.items.map((item) => (
          <li key={item.product.sku}>
            {item.quantity} × {item.product.name} at {formatMoney(item.unitPriceCents, order.currency)}
          </li>
        ))}
      </ul>
      {error ? <ErrorNotice error={error} /> : null}
      {order.status === 'CONFIRMED' ? (
        <button
          type="button"
          disabled={loading}
          onClick={() => void cancelOrder({ variables: { id: order.id } }).catch((caught: unknown) => setError(describeError(caught)))}
        >
          Cancel order<span className="visually-hidden"> {shortId(order.id)}</span>
        </button>
      ) : null}
    </article>
  );
}
