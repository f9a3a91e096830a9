// Small helpers every feature module shares: listeners and timers that can never throw into the
// page, random ids, and short aliases of the browser globals (one letter each once minified).

export const doc = document;
export const win = window;
export const nav = navigator;
export const loc = location;

type Target = Pick<EventTarget, 'addEventListener'>;

/** Runs `fn`, swallowing errors: analytics must never break the page it measures. */
export function safe(fn: () => void): void {
  try {
    fn();
  } catch {
    // swallowed on purpose
  }
}

/** A listener that cannot throw into the page. */
export function on<E extends Event>(target: Target, type: string, fn: (e: E) => void, capture?: boolean): void {
  target.addEventListener(type, (e) => safe(() => fn(e as E)), capture);
}

/** setTimeout whose callback cannot throw into the page. */
export function later(fn: () => void, ms: number): number {
  return setTimeout(() => safe(fn), ms) as unknown as number; // a number in browsers (Node's types say Timeout)
}

/**
 * 128 random bits as up to 40 digits (ids are strings of at most 64 on the wire). getRandomValues
 * exists in every browser that runs ES2017, secure context or not.
 */
export function rid(): string {
  return crypto.getRandomValues(new Uint32Array(4)).join('');
}

/** The nearest ancestor (or self) matching `sel`; tolerates text nodes, null and documents. */
export function closest(node: EventTarget | null, sel: string): HTMLElement | null {
  const el = node as Element | null;
  return el && el.closest ? (el.closest(sel) as HTMLElement | null) : null;
}
