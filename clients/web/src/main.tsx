import { ApolloProvider } from '@apollo/client/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import persistedQueryIds from 'virtual:persisted-query-ids';
import { createAppServices } from './app/apollo-client';
import { App } from './app/app';
import { StoresProvider } from './app/services-context';
import { CartStore } from './cart/cart-store';
import './styles.css';

const { client, session } = createAppServices({ persistedQueryIds });
const cart = new CartStore(window.localStorage);
// Another tab changed the cart: show it here too.
window.addEventListener('storage', (event) => {
  if (event.key === null || event.key.startsWith('fedshop.cart')) cart.reload();
});
// A reload or a new tab: the session cookie (if any) becomes an access token.
void session.restore();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApolloProvider client={client}>
      <StoresProvider stores={{ session, cart }}>
        <App />
      </StoresProvider>
    </ApolloProvider>
  </StrictMode>,
);
