import type { InlineConfig } from 'vite';
export declare function dashboardViteConfig(opts?: { outDir?: string }): InlineConfig;
declare const config: InlineConfig;
export default config;
