// The error every API call throws: status, Beaconry's error code, a message to show, and the form
// field it concerns (when the server named one).

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }

  /** The server could not be reached at all (network, server down). */
  get offline(): boolean {
    return this.status === 0;
  }
}

/** Beaconry's `{"error": {code, message, field?}}`, or the stats API's Plausible-style `{"error": "…"}`. */
interface ErrorBody {
  error?: string | { code?: string; message?: string; field?: string };
}

export async function toApiError(res: Response): Promise<ApiError> {
  let body: ErrorBody = {};
  try {
    body = (await res.json()) as ErrorBody;
  } catch {
    /* not JSON */
  }
  const retry = Number(res.headers.get('retry-after') ?? NaN);
  const e = typeof body.error === 'string' ? { message: body.error, code: res.headers.get('x-beaconry-error') ?? undefined } : body.error;
  return new ApiError(
    res.status,
    e?.code ?? `HTTP_${res.status}`,
    e?.message ?? `The server answered ${res.status}.`,
    typeof body.error === 'object' ? body.error.field : undefined,
    Number.isFinite(retry) ? retry : undefined,
  );
}

export function offlineError(): ApiError {
  return new ApiError(0, 'OFFLINE', 'Cannot reach the Beaconry server. Check that it is running and reload.');
}
