// Types for tracker/build.mjs (plain ESM so the lead's scripts/build.mjs can run it without a loader).

export declare const GZIP_BUDGET_BYTES: number;

export interface TrackerSizes {
  raw: number;
  gzip: number;
  brotli: number;
}

/** Builds `${outDir}/b.js`, `.gz`, `.br` and `b.size.json`; throws when gzip is over the budget. */
export declare function buildTracker(outDir: string): Promise<TrackerSizes>;
