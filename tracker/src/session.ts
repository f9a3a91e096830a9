// The session id: random, kept in this tab's sessionStorage and nowhere else.
import { rid } from './util.js';

export function sessionId(): string {
  let id = rid();
  try {
    id = sessionStorage.getItem('beaconry_s') ?? id;
    sessionStorage.setItem('beaconry_s', id);
  } catch {
    // storage blocked (sandboxed iframe, strict privacy mode): a per-load session is the honest fallback
  }
  return id;
}
