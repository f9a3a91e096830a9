// Write-ahead log, the one startup failure: damage that may hide acknowledged records. Recovery
// and replay throw it instead of skipping data; the CLI prints its message and exits.

export class LogCorruptionError extends Error {
  override name = 'LogCorruptionError';
  readonly code = 'BEACONRY_ERR_LOG_CORRUPT';
  constructor(
    readonly file: string,
    readonly offset: number,
    detail: string,
  ) {
    super(
      `Write-ahead log damaged in ${file} at byte ${offset}: ${detail}. ` +
        'Records there were acknowledged as durable, so Beaconry refuses to start rather than skip them. ' +
        'Restore the log directory from a backup, or move the damaged file aside once you have accepted the loss.',
    );
  }
}
