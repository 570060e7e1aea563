import { useEffect, type ReactNode } from 'react';
import { AuthPage } from '../account/auth-page';
import { ProfilePage } from '../account/profile-page';
import { TierBadge } from '../account/tier-badge';
import { useLoyalty } from '../account/use-loyalty';
import { AdminPage } from '../admin/admin-page';
import { CartPage } from '../cart/cart-page';
import { CatalogPage } from '../catalog/catalog-page';
import { ProductPage } from '../catalog/product-page';
import { OrdersPage } from '../orders/orders-page';
import { Link, navigate, useLocation, usePageTitle } from './router';
import { useCart, useSession } from './services-context';

/** The page for a path. */
function route(pathname: string): ReactNode {
  const product = /^\/products\/([^/]+)$/.exec(pathname);
  if (product) return <ProductPage sku={decodeURIComponent(product[1]!)} />;
  switch (pathname) {
    case '/':
      return <CatalogPage />;
    case '/cart':
      return <CartPage />;
    case '/sign-in':
      return <AuthPage mode="sign-in" />;
    case '/sign-up':
      return <AuthPage mode="sign-up" />;
    case '/orders':
      return <SignedIn>{<OrdersPage />}</SignedIn>;
    case '/profile':
      return <SignedIn>{<ProfilePage />}</SignedIn>;
    case '/admin':
      return <SignedIn admin>{<AdminPage />}</SignedIn>;
    default:
      return <NotFound />;
  }
}

/** Pages for signed-in accounts: anonymous visitors are sent to sign in and brought back after. */
function SignedIn({ children, admin = false }: { children: ReactNode; admin?: boolean }) {
  const { state } = useSession();
  useEffect(() => {
    if (state.status === 'anonymous') navigate(`/sign-in?next=${encodeURIComponent(window.location.pathname)}`, { replace: true });
  }, [state.status]);
  if (state.status !== 'signed-in') return <p role="status">Checking your session…</p>;
  if (admin && state.user.role !== 'ADMIN') return <NotFound />;
  return <>{children}</>;
}

function NotFound() {
  usePageTitle('Not found');
  return (
    <section aria-labelledby="page-heading">
      <h1 id="page-heading" tabIndex={-1}>
        Page not found
      </h1>
      <p>
        <Link to="/">Back to the catalog</Link>
      </p>
    </section>
  );
}

function Header() {
  const { state } = useSession();
  const { cart } = useCart();
  const { pathname } = useLocation();
  const signedIn = state.status === 'signed-in';
  const loyalty = useLoyalty(signedIn);
  const items = cart.lines.reduce((sum, line) => sum + line.quantity, 0);
  const current = (path: string) => (pathname === path ? ('page' as const) : undefined);
  return (
    <header className="site-header">
      <Link to="/" className="brand">
        fedshop
      </Link>
      <nav aria-label="Main">
        <ul>
          <li>
            <Link to="/" aria-current={current('/')}>
              Catalog
            </Link>
          </li>
          <li>
            <Link to="/cart" aria-current={current('/cart')}>
              Cart{' '}
              <span className="count" data-testid="cart-count">
                {items}
              </span>
              <span className="visually-hidden"> items</span>
            </Link>
          </li>
          {signedIn ? (
            <>
              <li>
                <Link to="/orders" aria-current={current('/orders')}>
                  My orders
                </Link>
              </li>
              <li>
                <Link to="/profile" aria-current={current('/profile')}>
                  {state.user.name} <TierBadge tier={loyalty.data?.me?.tier ?? state.user.tier} />
                </Link>
              </li>
              {state.user.role === 'ADMIN' ? (
                <li>
                  <Link to="/admin" aria-current={current('/admin')}>
                    Back office
                  </Link>
                </li>
              ) : null}
            </>
          ) : state.status === 'anonymous' ? (
            <li>
              <Link to="/sign-in" aria-current={current('/sign-in')}>
                Sign in
              </Link>
            </li>
          ) : null}
        </ul>
      </nav>
    </header>
  );
}

export function App() {
  const { pathname } = useLocation();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header />
      <main id="main" tabIndex={-1}>
        {route(pathname)}
      </main>
    </>
  );
}
