import { useEffect, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/**
 * Client-side navigation on the History API, enough for a handful of pages: real URLs (the
 * static server answers every page path with index.html), real links (middle-click, copy
 * link), Back and Forward. A router library would bring more than this app uses.
 */
const listeners = new Set<() => void>();

function emit(): void {
  for (const listener of listeners) listener();
}

if (typeof window !== 'undefined') window.addEventListener('popstate', emit);

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Goes to an app path (e.g. `/cart`), adding a history entry unless `replace`. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  emit();
}

/** The current path and query, re-rendering on navigation. */
export function useLocation(): { pathname: string; search: URLSearchParams } {
  const href = useSyncExternalStore(subscribe, () => window.location.pathname + window.location.search);
  const url = new URL(href, 'http://app');
  return { pathname: url.pathname, search: url.searchParams };
}

/** An in-app link: navigates without a reload, behaves as a normal link otherwise. */
export function Link({ to, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handle} {...rest} />;
}

/**
 * Sets the page title and moves keyboard focus to the page's heading after a navigation, so
 * screen readers announce the new page and Tab continues from its top.
 */
export function usePageTitle(title: string, headingId = 'page-heading'): void {
  useEffect(() => {
    document.title = `${title} · fedshop`;
    const heading = document.getElementById(headingId);
    if (heading && document.activeElement !== heading && !heading.contains(document.activeElement)) heading.focus({ preventScroll: false });
  }, [title, headingId]);
}
