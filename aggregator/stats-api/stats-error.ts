// A refusal of the stats API, answered as Plausible's Stats API does: the status and `{"error": "…"}`
// (scripts written against Plausible read that field), with our error code in `x-beaconry-error`.
import type { ErrorCode } from '../../core/errors.js';

export class StatsError extends Error {
  override name = 'StatsError';
  constructor(
    message: string,
    readonly status = 400,
    readonly code: ErrorCode = status === 401 ? 'BEACONRY_ERR_UNAUTHORIZED' : status === 404 ? 'BEACONRY_ERR_NOT_FOUND' : 'BEACONRY_ERR_BAD_REQUEST',
  ) {
    super(message);
  }
}
