import { useEffect, useState } from 'preact/hooks';

/** The portal's pages live under this path; the API answers index.html for every path below it. */
export const BASE = '/portal';

const CHANGED = 'portal:navigate';

function current(): string {
  const path = location.pathname.slice(BASE.length) || '/';
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/**
 * The page's path below /portal ("/", "/integrations/new", …), following links and Back/Forward, and a number
 * that changes on every navigation (a page keyed by it starts afresh, even when a link leads to itself).
 */
export function usePath(): { path: string; visit: number } {
  const [state, setState] = useState(() => ({ path: current(), visit: 0 }));
  useEffect(() => {
    const update = () => setState((s) => ({ path: current(), visit: s.visit + 1 }));
    addEventListener('popstate', update);
    addEventListener(CHANGED, update);
    return () => {
      removeEventListener('popstate', update);
      removeEventListener(CHANGED, update);
    };
  }, []);
  return state;
}

export function href(path: string): string {
  return BASE + path;
}

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, '', href(path));
  else history.pushState(null, '', href(path));
  scrollTo(0, 0);
  dispatchEvent(new Event(CHANGED));
}

/** A same-page link: a real <a href> (open in a new tab works), routed without a reload on a plain click. */
export function onLinkClick(e: MouseEvent): void {
  const a = e.currentTarget as HTMLAnchorElement;
  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const url = new URL(a.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(BASE)) return;
  e.preventDefault();
  navigate(url.pathname.slice(BASE.length) + url.search);
}
