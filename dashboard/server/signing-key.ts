// The RSA key that signs dashboard access tokens: generated on first start, kept in the data dir
// (directory 0700, file 0600), and loaded on every later start so tokens survive a restart.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const JWT_ALG = 'RS256';

export interface SigningKey {
  /** RFC 7638 thumbprint of the public key: the `kid` of every token it signs. */
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export function signingKeyPath(dataDir: string): string {
  return path.join(dataDir, 'dashboard', 'jwt-rs256.pem');
}

/** Creates the file with mode 0600 from its first byte; if another process made one first, theirs wins. */
function writePrivate(file: string, text: string): void {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** RFC 7638: SHA-256 over the required members of the JWK, in lexicographic order, no spaces. */
function thumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const canonical = JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
  return createHash('sha256').update(canonical).digest('base64url');
}

export function loadOrCreateSigningKey(dataDir: string, warn: (msg: string) => void = () => {}): SigningKey {
  const file = signingKeyPath(dataDir);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (!fs.existsSync(file)) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writePrivate(file, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  }
  if ((fs.statSync(file).mode & 0o077) !== 0) {
    // Someone loosened it (a restore, a copy): tighten it rather than refuse to start.
    fs.chmodSync(file, 0o600);
    warn('tightened the permissions of the dashboard signing key to 0600');
  }
  const privateKey = createPrivateKey(fs.readFileSync(file, 'utf8'));
  if (privateKey.asymmetricKeyType !== 'rsa') throw new Error(`${file} does not hold an RSA key`);
  const publicKey = createPublicKey(privateKey);
  return { kid: thumbprint(publicKey), privateKey, publicKey };
}
