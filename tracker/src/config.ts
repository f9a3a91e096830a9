// Reads the snippet's data-* attributes once: where to send, and what to measure.

export interface TrackerConfig {
  /** Batch endpoint including `?k=<site key>`. */
  readonly api: string;
  /** Hash-based routing: the fragment is part of the page URL. */
  readonly hash: boolean;
  readonly downloads: readonly string[];
  readonly notFound: boolean;
}

/** Plausible's default file-download list, so migrating sites see the same numbers. */
const DEFAULT_DOWNLOAD_EXTS =
  'pdf,xlsx,docx,txt,rtf,csv,exe,key,pps,ppt,pptx,7z,pkg,rar,gz,zip,avi,mov,mp4,mpeg,wmv,midi,mp3,wav,wma,dmg';

/** Undefined without `data-site`: there is nobody to send to. */
export function readConfig(script: HTMLScriptElement): TrackerConfig | undefined {
  // `||` on purpose below: an empty attribute means "not set", like a missing one
  const attr = (name: string): string | null => script.getAttribute('data-' + name);
  const site = attr('site');
  const api = attr('api') || new URL(script.src).origin + '/api/v1/batch';
  return site
    ? {
        api: api + (api.indexOf('?') < 0 ? '?' : '&') + 'k=' + encodeURIComponent(site),
        hash: attr('hash') != null,
        // data-download-ext replaces the default list (like Plausible's file-types) rather than extending it
        downloads: (attr('download-ext') || DEFAULT_DOWNLOAD_EXTS).toLowerCase().split(/[\s,]+/),
        notFound: attr('404') != null,
      }
    : undefined;
}
