// Password hashing for dashboard users: argon2id with OWASP's parameters, on libuv's thread pool so
// the event loop never waits on it, with a bound on concurrent hashes (each takes 19 MiB and ~80 ms).
import { randomBytes } from 'node:crypto';
import { hash, verify, type Options } from '@node-rs/argon2';
import { BeaconryError } from '../../core/errors.js';

/**
 * OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1. (`2` is the library's
 * Algorithm.Argon2id, a const enum that verbatimModuleSyntax cannot import.)
 */
export const ARGON2_OPTIONS: Options = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

/**
 * Checks the length in characters (code points, so an emoji counts once) and returns the NFC form,
 * so the same password typed on two keyboards that compose accents differently hashes the same.
 * Nothing is truncated: argon2 takes the whole input, unlike bcrypt's 72 bytes.
 */
export function checkPassword(input: unknown): string {
  if (typeof input !== 'string') throw new BeaconryError('BEACONRY_ERR_BAD_REQUEST', 'password is required');
  const pw = input.normalize('NFC');
  const n = [...pw].length;
  if (n < PASSWORD_MIN || n > PASSWORD_MAX) {
    throw new BeaconryError('BEACONRY_ERR_BAD_REQUEST', `the password must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters long`, {}, { field: 'password' });
  }
  return pw;
}

export class PasswordHasher {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** A real hash of a random password: verifying against it makes an unknown email cost what a wrong password costs. */
  private dummy: Promise<string> | undefined;

  constructor(
    private readonly concurrency = 2,
    /** Hashes waiting for a slot before we answer 503 instead of queueing without bound. */
    private readonly queueLimit = 64,
  ) {}

  hash(password: string): Promise<string> {
    return this.slot(() => hash(password, ARGON2_OPTIONS));
  }

  /** False for a wrong password and for a malformed stored hash alike. */
  verify(stored: string, password: string): Promise<boolean> {
    return this.slot(() => verify(stored, password).catch(() => false));
  }

  /** Makes the dummy hash now, so not even the first unknown email costs an extra hash. */
  async prepare(): Promise<void> {
    this.dummy ??= this.hash(`dummy-${randomBytes(16).toString('hex')}`);
    await this.dummy;
  }

  /** Spends the same work as verify() for a user that does not exist, and always says no. */
  async verifyDummy(password: string): Promise<false> {
    await this.prepare();
    await this.verify(await this.dummy!, password);
    return false;
  }

  private async slot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queueLimit) {
        throw new BeaconryError('BEACONRY_ERR_OVERLOADED', 'Too many sign-ins at once; retry in a few seconds.', { 'retry-after': '2' });
      }
      // The finishing hash hands its slot straight to us, so `running` never overshoots.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
