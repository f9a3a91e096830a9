// Clicks that leave (outbound links, downloads), form submissions and copies. Listeners are passive
// and in the capture phase: they see events the page stops, and never delay or cancel navigation.
import type { Emit } from './types.js';
import { closest, doc, loc, on } from './util.js';

/** Sends right away with sendBeacon: the click or submit may be about to unload the page. */
type SendNow = () => void;

export function trackLinks(downloads: readonly string[], emit: Emit, sendNow: SendNow): void {
  const click = (e: MouseEvent): void => {
    // auxclick: a middle click opens a tab; other buttons open menus
    const a = closest(e.target, 'a[href]') as HTMLAnchorElement | null;
    if (!a || (e.type === 'auxclick' && e.button !== 1) || !/^https?:$/.test(a.protocol)) return;
    const ext = (a.pathname.split('.').pop() as string).toLowerCase();
    const t =
      a.hasAttribute('download') || downloads.indexOf(ext) >= 0
        ? 'download'
        : a.host !== loc.host
          ? 'outbound'
          : '';
    if (t) {
      emit({ t, h: a.href });
      sendNow();
    }
  };
  on(doc, 'click', click, true);
  on(doc, 'auxclick', click, true);
}

export function trackForms(emit: Emit, sendNow: SendNow): void {
  on(
    doc,
    'submit',
    (e) => {
      const form = e.target as HTMLFormElement;
      // getAttribute, not form.id / form.name: an input named "id" or "name" would shadow those,
      // and they would then hold a field, the one thing never to send. Empty means absent: `||`.
      emit({ t: 'form_submit', f: form.getAttribute('id') || form.getAttribute('name') || undefined });
      sendNow();
    },
    true,
  );
}

export function trackCopies(emit: Emit): void {
  on(doc, 'copy', (e) => {
    // text copied out of a form field or an editor is something the visitor typed: never sent
    if (closest(e.target, 'input,textarea,[contenteditable]')) return;
    // slice before Array.from (a select-all can be megabytes); Array.from counts code points, so a
    // surrogate pair is never cut in half and at most 200 characters leave the page
    const text = Array.from(String(getSelection()).slice(0, 400)).slice(0, 200).join('');
    if (text) emit({ t: 'copy', x: text });
  });
}
