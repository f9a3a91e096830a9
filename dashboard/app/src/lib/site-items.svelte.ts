// One kind of a site's settings items (CTAs, goals, secret keys): the list the API returns, its
// loading state, and a form submit that is busy while it runs and shows its error. The settings
// components each had their own copy of this.
import { auth } from './auth.svelte.js';
import type { ApiError } from './api-error.js';

export class SiteItems<T> {
  items = $state<T[]>([]);
  loading = $state(true);
  loadError = $state<string | null>(null);
  busy = $state(false);
  error = $state<string | null>(null);
  /** Submits so far: a list requested before one of them may not hold its change. */
  private submits = 0;

  /** `url()`: the list's endpoint; `field`: the key of the list in its JSON answer. */
  constructor(
    private readonly url: () => string,
    private readonly field: string,
  ) {}

  /**
   * (Re)loads the list; an arrow so that it can be handed to onMount and onclick as it is. An answer
   * to a request sent before a submit ran is asked for again rather than shown: it could be missing
   * the item the submit added, and would replace the list that holds it.
   */
  load = async (): Promise<void> => {
    this.loading = true;
    try {
      for (;;) {
        const seen = this.submits;
        const list = (await auth.json<Record<string, T[]>>(this.url()))[this.field] ?? [];
        if (seen !== this.submits) continue;
        this.items = list;
        break;
      }
      this.loadError = null;
    } catch (err) {
      this.loadError = (err as Error).message;
    } finally {
      this.loading = false;
    }
  };

  /** Runs a form's request: `busy` meanwhile, its failure's message in `error`. */
  async submit(run: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.error = null;
    try {
      await run();
    } catch (err) {
      this.error = (err as ApiError).message;
    } finally {
      // Failed or not, the server may hold the change.
      this.submits++;
      this.busy = false;
    }
  }
}
