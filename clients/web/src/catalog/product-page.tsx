import { useQuery } from '@apollo/client/react';
import { Link, usePageTitle } from '../app/router';
import { ErrorNotice } from '../errors/error-notice';
import { describeError } from '../errors/describe-error';
import { formatMoney } from '../format';
import { ProductDocument } from '../graphql/generated/graphql';
import { AddToCart } from './catalog-page';

export function ProductPage({ sku }: { sku: string }) {
  const { data, loading, error, refetch } = useQuery(ProductDocument, { variables: { sku } });
  const product = data?.product;
  usePageTitle(product?.name ?? 'Product');
  return (
    <section aria-labelledby="page-heading">
      <p>
        <Link to="/">← Catalog</Link>
      </p>
      {error ? <ErrorNotice error={describeError(error)} onRetry={() => void refetch()} /> : null}
      {loading && !data ? <p role="status">Loading…</p> : null}
      {data && !product ? (
        <h1 id="page-heading" tabIndex={-1}>
          No product “{sku}”
        </h1>
      ) : null}
      {product ? (
        <article className="card">
          <h1 id="page-heading" tabIndex={-1}>
            {product.name}
          </h1>
          <dl className="facts">
            <dt>Price</dt>
            <dd>{formatMoney(product.priceCents, product.currency)}</dd>
            <dt>In stock</dt>
            <dd>{product.stock}</dd>
            <dt>Sku</dt>
            <dd>{product.sku}</dd>
          </dl>
          <AddToCart product={product} />
        </article>
      ) : null}
    </section>
  );
}
