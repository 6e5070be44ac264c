export declare const CHROMIUM_PATH: string;
export declare const CHROMIUM_ARGS: string[];
export declare const BENCH_CHROMIUM_ARGS: string[];
