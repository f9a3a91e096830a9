// Referrer hostnames → a source name and whether it is a search engine or a social network.
// A small curated table (the long tail is reported by hostname), hoisted once at load.
export type SourceKind = 'search' | 'social' | 'video' | 'email' | 'other';

const TABLE: readonly [string, string, SourceKind][] = [
  ['google.', 'Google', 'search'], ['bing.com', 'Bing', 'search'], ['duckduckgo.com', 'DuckDuckGo', 'search'],
  ['search.yahoo.', 'Yahoo!', 'search'], ['yandex.', 'Yandex', 'search'], ['baidu.com', 'Baidu', 'search'],
  ['ecosia.org', 'Ecosia', 'search'], ['search.brave.com', 'Brave', 'search'], ['startpage.com', 'Startpage', 'search'],
  ['qwant.com', 'Qwant', 'search'], ['naver.com', 'Naver', 'search'], ['kagi.com', 'Kagi', 'search'],
  ['chatgpt.com', 'ChatGPT', 'other'], ['perplexity.ai', 'Perplexity', 'other'],
  ['facebook.com', 'Facebook', 'social'], ['fb.com', 'Facebook', 'social'], ['l.facebook.com', 'Facebook', 'social'],
  ['instagram.com', 'Instagram', 'social'], ['t.co', 'X', 'social'], ['twitter.com', 'X', 'social'], ['x.com', 'X', 'social'],
  ['linkedin.com', 'LinkedIn', 'social'], ['lnkd.in', 'LinkedIn', 'social'], ['reddit.com', 'Reddit', 'social'],
  ['news.ycombinator.com', 'Hacker News', 'social'], ['pinterest.', 'Pinterest', 'social'], ['tiktok.com', 'TikTok', 'social'],
  ['threads.net', 'Threads', 'social'], ['bsky.app', 'Bluesky', 'social'], ['mastodon.social', 'Mastodon', 'social'],
  ['youtube.com', 'YouTube', 'video'], ['youtu.be', 'YouTube', 'video'], ['vimeo.com', 'Vimeo', 'video'], ['twitch.tv', 'Twitch', 'video'],
  ['github.com', 'GitHub', 'other'], ['stackoverflow.com', 'Stack Overflow', 'other'], ['producthunt.com', 'Product Hunt', 'other'],
  ['mail.google.com', 'Gmail', 'email'], ['outlook.live.com', 'Outlook', 'email'], ['mail.yahoo.com', 'Yahoo! Mail', 'email'],
];

export function classifySource(host: string): { source: string; kind: SourceKind } | undefined {
  for (const [pattern, source, kind] of TABLE) {
    if (pattern.endsWith('.') ? host.startsWith(pattern) || host.includes(`.${pattern}`) : host === pattern || host.endsWith(`.${pattern}`)) {
      return { source, kind };
    }
  }
  return undefined;
}

/** UTM sources people type for the same network. */
const UTM_ALIASES: Record<string, [string, SourceKind]> = {
  google: ['Google', 'search'], bing: ['Bing', 'search'], facebook: ['Facebook', 'social'], fb: ['Facebook', 'social'],
  ig: ['Instagram', 'social'], instagram: ['Instagram', 'social'], twitter: ['X', 'social'], x: ['X', 'social'],
  linkedin: ['LinkedIn', 'social'], reddit: ['Reddit', 'social'], youtube: ['YouTube', 'video'], newsletter: ['Newsletter', 'email'],
};

export function classifyUtmSource(utmSource: string): { source: string; kind: SourceKind } | undefined {
  const hit = UTM_ALIASES[utmSource.toLowerCase()];
  return hit ? { source: hit[0], kind: hit[1] } : undefined;
}
