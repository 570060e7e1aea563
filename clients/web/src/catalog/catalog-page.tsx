import { useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { Link, usePageTitle } from '../app/router';
import { useCart } from '../app/services-context';
import { ErrorNotice } from '../errors/error-notice';
import { describeError } from '../errors/describe-error';
import { formatMoney } from '../format';
import { ProductsDocument, type ProductFieldsFragment } from '../graphql/generated/graphql';

const PAGE_SIZE = 8;

/**
 * The catalog, a page at a time (cursor pagination: `after` is the previous page's
 * `endCursor`; the cursors of the pages before are kept to go back).
 */
export function CatalogPage() {
  usePageTitle('Catalog');
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1] ?? null;
  const { data, loading, error, refetch } = useQuery(ProductsDocument, { variables: { first: PAGE_SIZE, after } });
  const products = data?.products;
  return (
    <section aria-labelledby="page-heading">
      <h1 id="page-heading" tabIndex={-1}>
        Catalog
      </h1>
      {error ? <ErrorNotice error={describeError(error)} onRetry={() => void refetch()} /> : null}
      {loading && !products ? <p role="status">Loading products…</p> : null}
      {products ? (
        <>
          <p className="muted">
            Page {cursors.length} · {products.totalCount} products
          </p>
          <ul className="product-grid">
            {products.edges.map(({ node }) => (
              <li key={node.sku}>
                <ProductCard product={node} />
              </li>
            ))}
          </ul>
          <nav className="pager" aria-label="Catalog pages">
            <button type="button" onClick={() => setCursors((stack) => stack.slice(0, -1))} disabled={cursors.length === 1}>
              Previous page
            </button>
            <button
              type="button"
              onClick={() => setCursors((stack) => [...stack, products.pageInfo.endCursor])}
              disabled={!products.pageInfo.hasNextPage}
            >
              Next page
            </button>
          </nav>
        </>
      ) : null}
    </section>
  );
}

export function ProductCard({ product }: { product: ProductFieldsFragment }) {
  return (
    <article className="card product" aria-labelledby={`product-${product.sku}`}>
      <h2 id={`product-${product.sku}`}>
        <Link to={`/products/${encodeURIComponent(product.sku)}`}>{product.name}</Link>
      </h2>
      <p className="price">{formatMoney(product.priceCents, product.currency)}</p>
      <p className="muted">{product.stock > 0 ? `${product.stock} in stock` : 'Out of stock'}</p>
      <AddToCart product={product} />
    </article>
  );
}

export function AddToCart({ product }: { product: ProductFieldsFragment }) {
  const { cart, store } = useCart();
  const [added, setAdded] = useState(false);
  const inCart = cart.lines.find((line) => line.sku === product.sku)?.quantity ?? 0;
  return (
    <div className="add-to-cart">
      <button
        type="button"
        disabled={product.stock === 0 || inCart >= product.stock}
        onClick={() => {
          store.add({ sku: product.sku, name: product.name, priceCents: product.priceCents, currency: product.currency });
          setAdded(true);
        }}
        aria-describedby={`product-${product.sku}`}
      >
        Add to cart
      </button>
      <span role="status" className="muted">
        {added || inCart > 0 ? `${inCart} in cart` : ''}
      </span>
    </div>
  );
}
