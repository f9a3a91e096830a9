// Country codes as names, from the browser's own data (no lookup table shipped).

const names = (() => {
  try {
    return new Intl.DisplayNames(undefined, { type: 'region' });
  } catch {
    return undefined;
  }
})();

export function countryName(code: string): string {
  if (!/^[A-Z]{2}$/i.test(code)) return code;
  try {
    return names?.of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}
