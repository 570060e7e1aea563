import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import type { CartStore } from '../cart/cart-store';
import type { SessionStore } from '../session/session-store';

interface Stores {
  session: SessionStore;
  cart: CartStore;
}

const StoresContext = createContext<Stores | null>(null);

export function StoresProvider({ stores, children }: { stores: Stores; children: ReactNode }) {
  return <StoresContext.Provider value={stores}>{children}</StoresContext.Provider>;
}

function useStores(): Stores {
  const stores = useContext(StoresContext);
  if (!stores) throw new Error('StoresProvider is missing');
  return stores;
}

/** The session's state and store (sign in, sign out, refresh). */
export function useSession() {
  const { session } = useStores();
  const state = useSyncExternalStore(session.subscribe, session.getState);
  return { state, session };
}

/** The cart's content and store. */
export function useCart() {
  const { cart } = useStores();
  const content = useSyncExternalStore(cart.subscribe, cart.getCart);
  return { cart: content, store: cart };
}
