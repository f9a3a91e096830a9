// Fields only a server holding a secret key may send: identities (identify, uid, em, tr).
// A public key in a visitor's browser is public; it must not be able to claim a user's identity.
import type { Step } from '../context.js';

export const dropSecretOnly: Step = (ev, ctx) => {
  if (ctx.keyKind === 'secret') return undefined;
  const r = ev.raw;
  if (r.t === 'identify' || r.uid !== undefined || r.em !== undefined || r.tr !== undefined) return 'secret_only';
  return undefined;
};
