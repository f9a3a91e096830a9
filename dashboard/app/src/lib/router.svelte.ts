// A small History-API router: the path picks the page, the query string holds the page's state, so
// every view is a shareable URL and the back button walks through filter and range changes.

export type Route =
  | { name: 'login' }
  | { name: 'setup' }
  | { name: 'sites' }
  | { name: 'new-site' }
  | { name: 'dashboard'; domain: string }
  | { name: 'settings'; domain: string; tab: string }
  | { name: 'account' }
  | { name: 'not-found' };

export function match(path: string): Route {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [a, b, c, d] = parts;
  if (parts.length === 0) return { name: 'sites' };
  if (a === 'login' && !b) return { name: 'login' };
  if (a === 'setup' && !b) return { name: 'setup' };
  if (a === 'account' && !b) return { name: 'account' };
  if (a === 'sites' && b === 'new' && !c) return { name: 'new-site' };
  if (a === 'sites' && b && !c) return { name: 'dashboard', domain: b };
  if (a === 'sites' && b && c === 'settings') return { name: 'settings', domain: b, tab: d ?? 'general' };
  return { name: 'not-found' };
}

export class Router {
  path = $state(location.pathname);
  search = $state(location.search);
  route = $derived(match(this.path));
  query = $derived(new URLSearchParams(this.search));

  constructor() {
    addEventListener('popstate', () => this.sync());
    // Same-origin links navigate in place (modifier clicks still open tabs).
    document.addEventListener('click', (e) => {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      const a = (e.target as Element | null)?.closest?.('a');
      if (!a || a.target || a.hasAttribute('download') || a.origin !== location.origin) return;
      e.preventDefault();
      this.go(a.pathname + a.search);
    });
  }

  go(url: string, opts: { replace?: boolean } = {}): void {
    if (url === location.pathname + location.search) return;
    history[opts.replace ? 'replaceState' : 'pushState'](null, '', url);
    this.sync();
    if (!opts.replace) scrollTo(0, 0);
  }

  /** Replaces the query string of the current path (pushes a history entry unless replace). */
  setQuery(q: URLSearchParams, opts: { replace?: boolean } = {}): void {
    const s = q.toString();
    const url = location.pathname + (s ? `?${s}` : '');
    if (url === location.pathname + location.search) return;
    history[opts.replace ? 'replaceState' : 'pushState'](null, '', url);
    this.sync();
  }

  private sync(): void {
    this.path = location.pathname;
    this.search = location.search;
  }
}

export const router = new Router();
