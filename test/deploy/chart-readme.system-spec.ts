// The chart's values reference (helm/bulwark/README.md) is generated from the `## @param` comments of
// values.yaml by @bitnami/readme-generator-for-helm (`npm run docs:chart`). This spec fails when a
// value has no description, when a comment names a value that does not exist, or when the committed
// README.md is not what the generator writes today.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CHART, ROOT } from '../helpers/deploy/tools';

const GENERATOR = path.join(ROOT, 'node_modules', '@bitnami', 'readme-generator-for-helm', 'bin', 'index.js');
const VALUES = path.join(CHART, 'values.yaml');
const README = path.join(CHART, 'README.md');

/** Runs the generator exactly as `npm run docs:chart` does, on a copy of `readme`. */
function generate(values: string, readme: string): { status: number | null; output: string; text: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-chart-readme-'));
  try {
    const copy = path.join(dir, 'README.md');
    fs.copyFileSync(readme, copy);
    const res = spawnSync(process.execPath, [GENERATOR, '--values', values, '--readme', copy], {
      encoding: 'utf8',
    });
    return { status: res.status, output: `${res.stdout}${res.stderr}`, text: fs.readFileSync(copy, 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('helm/bulwark/README.md', () => {
  it('is what `npm run docs:chart` generates from values.yaml (run it and commit the result)', () => {
    const res = generate(VALUES, README);
    expect({
      status: res.status,
      errors: res.output.split('\n').filter((l) => l.startsWith('ERROR')),
    }).toEqual({
      status: 0,
      errors: [],
    });
    expect(res.text).toBe(fs.readFileSync(README, 'utf8'));
  });

  it('gives every value in values.yaml a description', () => {
    // The generator refuses a value without a `## @param` (checked above); this adds that the
    // description after the key path is not empty.
    const tag = /^\s*##\s*@(param|extra)\s+(\S+)\s*(\[[^\]]*\])?\s*(.*)$/;
    const params = fs
      .readFileSync(VALUES, 'utf8')
      .split('\n')
      .map((line) => tag.exec(line))
      .filter((m): m is RegExpExecArray => m !== null);
    expect(params.length).toBeGreaterThan(80);
    expect(params.filter((m) => m[4].trim().length < 8).map((m) => m[2])).toEqual([]);
  });

  it('has one table row, with a description, for every documented value', () => {
    const documented = [
      ...fs.readFileSync(VALUES, 'utf8').matchAll(/^\s*##\s*@(?:param|extra)\s+(\S+)/gm),
    ].map((m) => m[1]);
    const rows = [...fs.readFileSync(README, 'utf8').matchAll(/^\| `([^`]+)` +\| *(.*?) *\|/gm)];
    expect(rows.map((m) => m[1]).sort()).toEqual([...documented].sort());
    expect(rows.filter((m) => m[2] === '').map((m) => m[1])).toEqual([]);
  });

  describe('the check itself', () => {
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-chart-readme-self-'));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('fails on a value without a description', () => {
      const values = path.join(dir, 'undocumented-values.yaml');
      fs.writeFileSync(values, `${fs.readFileSync(VALUES, 'utf8')}\nundocumentedValue: 1\n`);
      const res = generate(values, README);
      expect(res.status).not.toBe(0);
      expect(res.output).toContain('Missing metadata for key: undocumentedValue');
    });

    it('fails on a description of a value that does not exist', () => {
      const values = path.join(dir, 'ghost-values.yaml');
      fs.writeFileSync(
        values,
        `${fs.readFileSync(VALUES, 'utf8')}\n## @param ghost.value Not in the file.\n`,
      );
      const res = generate(values, README);
      expect(res.status).not.toBe(0);
      expect(res.output).toContain('Metadata provided for non existing key: ghost.value');
    });

    it('notices a changed description (the README would be stale)', () => {
      const values = path.join(dir, 'changed-values.yaml');
      fs.writeFileSync(
        values,
        fs
          .readFileSync(VALUES, 'utf8')
          .replace('## @param canary.weight Share', '## @param canary.weight Portion'),
      );
      const res = generate(values, README);
      expect(res.status).toBe(0);
      expect(res.text).not.toBe(fs.readFileSync(README, 'utf8'));
    });
  });
});
