// The pipeline as data: the ordered steps every event goes through in the pool (Plausible-style).
// `drop…` steps may end processing with a reason; `put…` steps add columns. Request-wide work
// (bot verdict, HMAC, UA, country) is memoised per request inside the steps.
import type { Step } from '../context.js';
import { dropBots } from './drop-bots.js';
import { dropInvalidEvent } from './drop-invalid-event.js';
import { dropSecretOnly } from './drop-secret-only.js';
import { putCountry } from './put-country.js';
import { putDevice } from './put-device.js';
import { putFields } from './put-fields.js';
import { putIdentity } from './put-identity.js';
import { putPage } from './put-page.js';
import { putProps } from './put-props.js';
import { putReferrer } from './put-referrer.js';
import { putTimestamp } from './put-timestamp.js';
import { putEventId, putVisitorId } from './put-visitor-id.js';

export const STEPS: readonly (readonly [string, Step])[] = [
  ['dropBots', dropBots],
  ['dropInvalidEvent', dropInvalidEvent],
  ['dropSecretOnly', dropSecretOnly],
  ['putEventId', putEventId],
  ['putTimestamp', putTimestamp],
  ['putPage', putPage],
  ['putReferrer', putReferrer],
  ['putFields', putFields],
  ['putProps', putProps],
  ['putIdentity', putIdentity],
  ['putVisitorId', putVisitorId],
  ['putDevice', putDevice],
  ['putCountry', putCountry],
];
