import { constants, enableCompileCache } from 'node:module';

/**
 * Node's module compile cache (V8 code cache on disk) for every module loaded after this one:
 * main.ts imports it first. A start that finds a module's code in the cache skips compiling it
 * (docs/performance.md, "Cold start"). The directory is `NODE_COMPILE_CACHE` (the image sets it to
 * the cache it builds: Dockerfile), else `<tmpdir>/node-compile-cache`;
 * `NODE_DISABLE_COMPILE_CACHE=1` turns it off. Node never throws here: where the directory cannot
 * be read or written, the service compiles as before, and the answer says why.
 */
const result = enableCompileCache();

const STATUS_NAMES = new Map<number, string>(
  Object.entries(constants.compileCacheStatus).map(([name, value]) => [value, name]),
);

/** What enabling the cache came to, for the start's log: ENABLED, ALREADY_ENABLED, DISABLED or FAILED. */
export const compileCache = {
  status: STATUS_NAMES.get(result.status) ?? String(result.status),
  directory: result.directory ?? null,
  reason: result.message ?? null,
};
