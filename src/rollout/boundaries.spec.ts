import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

// The promotion tool is its own program (docs/rollout.md, "Build and layout"): it takes nothing from
// the service but the metric names its queries select on, nothing from npm at run time, and the
// service never takes anything from it. Read from the import statements of every source file.

const SRC = resolve(__dirname, '..');
const TOOL = __dirname;
const METRIC_NAMES = join(SRC, 'metrics', 'metric-names.ts');

const sources = (dir: string): string[] =>
  (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));

const imports = (file: string): string[] =>
  ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((i) => i.fileName);

const inside = (dir: string, file: string): boolean => !relative(dir, file).startsWith('..');

/** What is wrong with `specifier` imported by tool file `from`, or null when it is allowed. */
function toolImportProblem(from: string, specifier: string): string | null {
  if (specifier.startsWith('node:')) return null;
  if (!specifier.startsWith('.')) return `npm package "${specifier}" (the tool has no runtime dependency)`;
  const target = `${resolve(dirname(from), specifier)}.ts`;
  if (inside(TOOL, target) || target === METRIC_NAMES) return null;
  return `service file ${relative(SRC, target)} (only metrics/metric-names.ts is shared)`;
}

describe('the promotion tool’s boundaries', () => {
  it('imports Node built-ins, its own files and the metric names: no npm package, no other service file', () => {
    const problems = sources(TOOL).flatMap((file) =>
      imports(file)
        .map((s) => [s, toolImportProblem(file, s)] as const)
        .filter(([, problem]) => problem !== null)
        .map(([s, problem]) => `${relative(SRC, file)} imports "${s}": ${problem}`),
    );
    expect(problems).toEqual([]);
  });

  it('builds its queries on the service’s metric names', () => {
    expect(imports(join(TOOL, 'analysis', 'queries.ts'))).toContain('../../metrics/metric-names');
  });

  it('is imported by no file of the service', () => {
    const offenders = sources(SRC)
      .filter((file) => !inside(TOOL, file))
      .flatMap((file) =>
        imports(file)
          .filter((s) => s.startsWith('.') && inside(TOOL, resolve(dirname(file), s)))
          .map((s) => `${relative(SRC, file)} imports "${s}"`),
      );
    expect(offenders).toEqual([]);
  });

  it.each([
    ['@nestjs/common', /npm package/],
    ['pino', /npm package/],
    ['../../database/embedded', /service file database\/embedded\.ts/],
    ['../../metrics/metrics.service', /service file metrics\/metrics\.service\.ts/],
  ])('would report an import of %s', (specifier, problem) => {
    expect(toolImportProblem(join(TOOL, 'rehearsal', 'stage.ts'), specifier)).toMatch(problem);
  });

  it.each(['node:fs', './load', '../platforms/nginx-dir', '../../metrics/metric-names'])(
    'allows an import of %s from rehearsal/',
    (specifier) => {
      expect(toolImportProblem(join(TOOL, 'rehearsal', 'stage.ts'), specifier)).toBeNull();
    },
  );
});
