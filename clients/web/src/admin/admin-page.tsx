import { useMutation, useQuery } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { Field } from '../account/auth-page';
import { usePageTitle } from '../app/router';
import { describeError, type ErrorDescription } from '../errors/describe-error';
import { ErrorNotice } from '../errors/error-notice';
import { formatDateTime, formatMoney, shortId } from '../format';
import {
  OrdersToShipDocument,
  ProductsDocument,
  ShipOrderDocument,
  UpsertProductDocument,
  type ProductFieldsFragment,
} from '../graphql/generated/graphql';

/** The back office (admins only; the subgraphs enforce it, the menu only hides it). */
export function AdminPage() {
  usePageTitle('Back office');
  return (
    <section aria-labelledby="page-heading">
      <h1 id="page-heading" tabIndex={-1}>
        Back office
      </h1>
      <OrdersToShip />
      <CatalogEditor />
    </section>
  );
}

function OrdersToShip() {
  const { data, error, refetch, loading } = useQuery(OrdersToShipDocument, { variables: { first: 50 }, fetchPolicy: 'cache-and-network' });
  const [shipOrder] = useMutation(ShipOrderDocument);
  const [shipping, setShipping] = useState<string | null>(null);
  const [shipError, setShipError] = useState<ErrorDescription | null>(null);
  const rows = (data?.users.edges ?? []).flatMap(({ node: user }) => user.orders.edges.map(({ node: order }) => ({ user, order })));

  async function ship(id: string) {
    setShipping(id);
    setShipError(null);
    try {
      await shipOrder({ variables: { id } });
      await refetch();
    } catch (caught) {
      setShipError(describeError(caught));
    } finally {
      setShipping(null);
    }
  }

  return (
    <section aria-labelledby="to-ship-heading">
      <h2 id="to-ship-heading">Orders to ship</h2>
      <button type="button" onClick={() => void refetch()} disabled={loading}>
        Refresh
      </button>
      {error ? <ErrorNotice error={describeError(error)} onRetry={() => void refetch()} /> : null}
      {shipError ? <ErrorNotice error={shipError} /> : null}
      {data && rows.length === 0 ? <p>Nothing to ship.</p> : null}
      {rows.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Customer</th>
              <th scope="col">Placed</th>
              <th scope="col">Total</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ user, order }) => (
              <tr key={order.id}>
                <th scope="row">{shortId(order.id)}</th>
                <td>
                  {user.name} ({user.email})
                </td>
                <td>{formatDateTime(order.createdAt)}</td>
                <td>{formatMoney(order.totalCents, order.currency)}</td>
                <td>
                  <button type="button" onClick={() => void ship(order.id)} disabled={shipping !== null}>
                    Ship<span className="visually-hidden"> order {shortId(order.id)}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {data?.users.pageInfo.hasNextPage ? <p className="muted">Showing the first 50 accounts' open orders.</p> : null}
    </section>
  );
}

const EMPTY_PRODUCT: ProductFieldsFragment = { sku: '', name: '', priceCents: 0, currency: 'USD', stock: 0 };

function CatalogEditor() {
  const { data, error, refetch } = useQuery(ProductsDocument, { variables: { first: 100 } });
  const [editing, setEditing] = useState<{ product: ProductFieldsFragment; isNew: boolean } | null>(null);
  return (
    <section aria-labelledby="catalog-heading">
      <h2 id="catalog-heading">Catalog</h2>
      {error ? <ErrorNotice error={describeError(error)} onRetry={() => void refetch()} /> : null}
      <button type="button" onClick={() => setEditing({ product: EMPTY_PRODUCT, isNew: true })}>
        New product
      </button>
      {editing ? <ProductForm key={editing.product.sku || 'new'} {...editing} onDone={() => setEditing(null)} /> : null}
      <table>
        <thead>
          <tr>
            <th scope="col">Sku</th>
            <th scope="col">Name</th>
            <th scope="col">Price</th>
            <th scope="col">Stock</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {data?.products.edges.map(({ node }) => (
            <tr key={node.sku}>
              <th scope="row">{node.sku}</th>
              <td>{node.name}</td>
              <td>{formatMoney(node.priceCents, node.currency)}</td>
              <td>{node.stock}</td>
              <td>
                <button type="button" onClick={() => setEditing({ product: node, isNew: false })}>
                  Edit<span className="visually-hidden"> {node.name}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function ProductForm({ product, isNew, onDone }: { product: ProductFieldsFragment; isNew: boolean; onDone: () => void }) {
  const [upsertProduct, { loading }] = useMutation(UpsertProductDocument, { refetchQueries: ['Products'] });
  const [error, setError] = useState<ErrorDescription | null>(null);

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setError(null);
    try {
      await upsertProduct({
        variables: {
          input: {
            sku: String(form.get('sku') ?? ''),
            name: String(form.get('name') ?? ''),
            priceCents: Math.round(Number(form.get('price')) * 100),
            currency: String(form.get('currency') ?? 'USD').toUpperCase(),
            stock: Number(form.get('stock')),
          },
        },
      });
      onDone();
    } catch (caught) {
      setError(describeError(caught));
    }
  }

  const fieldError = (field: string) => (error?.field === field ? error.message : null);
  return (
    <form className="card" onSubmit={(event) => void save(event)} aria-labelledby="product-form-heading">
      <h3 id="product-form-heading">{isNew ? 'New product' : `Edit ${product.name}`}</h3>
      {error && !error.field ? <ErrorNotice error={error} /> : null}
      <Field
        label="Sku"
        name="sku"
        defaultValue={product.sku}
        readOnly={!isNew}
        required
        error={fieldError('input.sku')}
        autoFocus={isNew}
      />
      <Field label="Name" name="name" defaultValue={product.name} required error={fieldError('input.name')} autoFocus={!isNew} />
      <Field
        label="Price"
        name="price"
        type="number"
        min={0}
        step="0.01"
        defaultValue={(product.priceCents / 100).toFixed(2)}
        required
        error={fieldError('input.priceCents')}
      />
      <Field
        label="Currency"
        name="currency"
        defaultValue={product.currency}
        required
        pattern="[A-Za-z]{3}"
        maxLength={3}
        error={fieldError('input.currency')}
      />
      <Field
        label="Stock"
        name="stock"
        type="number"
        min={0}
        step={1}
        defaultValue={product.stock}
        required
        error={fieldError('input.stock')}
      />
      <button type="submit" disabled={loading}>
        Save product
      </button>{' '}
      <button type="button" onClick={onDone}>
        Cancel
      </button>
    </form>
  );
}
