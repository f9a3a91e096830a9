// `beaconry user add <email>`: a new account from the command line, with the password from stdin, or
// (without one) a one-time invitation link for that email. Runs in the server (admin socket) or in
// the CLI's own process on the store, like every other command.
import type { Store } from '../../aggregator/store/store.js';
import { Accounts, normalizeEmail } from './accounts.js';
import { checkPassword, PasswordHasher } from './passwords.js';
import { ensureDashboardSchema } from './schema.js';
import { SetupTokens, setupPath } from './setup-tokens.js';

export type UserAddResult =
  | { created: true; email: string; userId: string; accountId: string }
  | { created: false; email: string; setupPath: string; expiresAt: string };

export async function addUser(store: Store, emailInput: string, password: string | undefined): Promise<UserAddResult> {
  const email = normalizeEmail(emailInput);
  await ensureDashboardSchema(store);
  const accounts = new Accounts(store);
  if (password === undefined) {
    if (await accounts.byEmail(email)) throw new Error(`an account for ${email} already exists`);
    const { token, expiresAt } = await new SetupTokens(store).invite(email);
    return { created: false, email, setupPath: setupPath(token), expiresAt: new Date(expiresAt).toISOString() };
  }
  const hash = await new PasswordHasher().hash(checkPassword(password));
  const user = await accounts.create(email, hash);
  return { created: true, email, userId: user.id, accountId: user.accountId };
}

/** Reads a password piped on stdin (`--password-stdin`): the first line, without its line ending. */
export async function readPasswordFromStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > 4096) throw new Error('--password-stdin: more than 4 KiB on stdin');
    chunks.push(b);
  }
  return (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '');
}
