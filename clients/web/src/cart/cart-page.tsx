import { useMutation } from '@apollo/client/react';
import { useRef, useState } from 'react';
import { Link, navigate, usePageTitle } from '../app/router';
import { useCart, useSession } from '../app/services-context';
import { describeError, type ErrorDescription } from '../errors/describe-error';
import { ErrorNotice } from '../errors/error-notice';
import { formatMoney } from '../format';
import { PlaceOrderDocument } from '../graphql/generated/graphql';
import { cartTotalCents, MAX_QUANTITY } from './cart-store';

/**
 * The cart and checkout. Checkout sends placeOrder with the cart's idempotency key, stored
 * before the request leaves (cart-store.ts): a double click, a retry after a network error or
 * a reload in between all send the same key, so the shop places one order whatever happens.
 */
export function CartPage() {
  usePageTitle('Cart');
  const { cart, store } = useCart();
  const { state } = useSession();
  const [placeOrder, { loading }] = useMutation(PlaceOrderDocument);
  const [error, setError] = useState<ErrorDescription | null>(null);
  // Set synchronously: a second click in the same frame finds it before React re-renders.
  const submitting = useRef(false);
  const currency = cart.lines[0]?.currency ?? 'USD';

  async function checkout() {
    if (submitting.current || cart.lines.length === 0) return;
    submitting.current = true;
    setError(null);
    const idempotencyKey = store.beginCheckout();
    try {
      const result = await placeOrder({
        variables: { input: { idempotencyKey, items: cart.lines.map((line) => ({ sku: line.sku, quantity: line.quantity })) } },
      });
      if (!result.data) throw new Error('placeOrder returned no order');
      store.checkoutConfirmed();
      navigate(`/orders?placed=${encodeURIComponent(result.data.placeOrder.id)}`);
    } catch (caught) {
      const description = describeError(caught, { productName: (sku) => cart.lines.find((line) => line.sku === sku)?.name });
      if (description.certainlyRefused) store.checkoutRefused();
      setError(description);
    } finally {
      submitting.current = false;
    }
  }

  return (
    <section aria-labelledby="page-heading">
      <h1 id="page-heading" tabIndex={-1}>
        Cart
      </h1>
      {cart.lines.length === 0 ? (
        <p>
          Your cart is empty. <Link to="/">Browse the catalog</Link>.
        </p>
      ) : (
        <>
          <table className="cart">
            <caption className="visually-hidden">Products in your cart</caption>
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col">Price</th>
                <th scope="col">Quantity</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {cart.lines.map((line) => (
                <tr key={line.sku}>
                  <th scope="row">{line.name}</th>
                  <td>{formatMoney(line.priceCents, line.currency)}</td>
                  <td>
                    <label className="visually-hidden" htmlFor={`quantity-${line.sku}`}>
                      Quantity of {line.name}
                    </label>
                    <input
                      id={`quantity-${line.sku}`}
                      type="number"
                      inputMode="numeric"
                      min={1}
                      max={MAX_QUANTITY}
                      value={line.quantity}
                      onChange={(event) => {
                        const quantity = Number(event.target.value);
                        if (Number.isInteger(quantity) && quantity >= 1) store.setQuantity(line.sku, quantity);
                      }}
                    />
                  </td>
                  <td>
                    <button type="button" className="link-button" onClick={() => store.remove(line.sku)}>
                      Remove<span className="visually-hidden"> {line.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="total">
            Total: <strong>{formatMoney(cartTotalCents(cart), currency)}</strong>
            <small className="muted"> (prices are confirmed at checkout)</small>
          </p>
          {error ? <ErrorNotice error={error} onRetry={() => void checkout()} /> : null}
          {state.status === 'signed-in' ? (
            <button type="button" className="primary" onClick={() => void checkout()} disabled={loading} aria-busy={loading}>
              {loading ? 'Placing your order…' : 'Place order'}
            </button>
          ) : state.status === 'restoring' ? null : (
            <p>
              <Link to="/sign-in?next=/cart">Sign in to check out</Link> (your cart is kept).
            </p>
          )}
        </>
      )}
    </section>
  );
}
