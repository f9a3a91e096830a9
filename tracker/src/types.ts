// The event shape the tracker builds before the transport batches it; keys are the wire keys of
// core/event-contract.ts (kept as literals here so the browser bundle stays free of server code).

export interface TrackerEvent {
  t: string;
  /** Random id: a retried batch is stored once because the server dedups on it. */
  i?: string;
  ts?: number;
  /** Page URL the event belongs to; the transport moves the common one up to the batch. */
  u?: string;
  n?: string;
  p?: unknown;
  c?: string | null;
  sd?: number;
  et?: number;
  x?: string;
  f?: string;
  h?: string;
  $?: { a: unknown; c: unknown };
  ni?: boolean;
  /** Hash mode: the fragment of `u` is part of the page (the server keeps it in the pathname). */
  hm?: boolean;
}

export type Emit = (ev: TrackerEvent) => void;
