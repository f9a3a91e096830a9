// Types for dashboard/build.mjs (plain ESM so scripts/build.mjs can run it without a loader).

export interface DashboardBuild {
  files: number;
  bytes: number;
  gzip: number;
}

/** Runs the Vite build of dashboard/app into outDir and writes .br/.gz twins of text files. */
export declare function buildDashboard(outDir: string): Promise<DashboardBuild>;
