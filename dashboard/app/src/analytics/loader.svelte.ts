// One fetch of a panel's data: loading / data / error, and cancellation of the previous fetch when
// the query changes before it answered (fast clicking through ranges never shows stale numbers).
import { ApiError } from '../lib/api-error.js';

export class Loader<T> {
  data = $state<T | undefined>(undefined);
  error = $state<ApiError | null>(null);
  loading = $state(false);
  private ctrl: AbortController | undefined;

  run(fn: (signal: AbortSignal) => Promise<T>): void {
    this.ctrl?.abort();
    const ctrl = new AbortController();
    this.ctrl = ctrl;
    this.loading = true;
    this.error = null;
    fn(ctrl.signal).then(
      (data) => {
        if (ctrl.signal.aborted) return;
        this.data = data;
        this.loading = false;
      },
      (err: unknown) => {
        if (ctrl.signal.aborted) return;
        this.error = err instanceof ApiError ? err : new ApiError(0, 'CLIENT', (err as Error).message ?? String(err));
        this.loading = false;
      },
    );
  }

  abort(): void {
    this.ctrl?.abort();
  }
}
