// Documentation links cannot rot: every relative link in README.md, docs/**/*.md and the chart's
// README.md must name a file of the repository and, when it points into a markdown file, one of its
// headings (scripts/docs/check-links.mjs, i.e. `npm run docs:links`). Nor can code, tests, scripts,
// chart or docs cite a document that is not in the repository.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const CHECKER = path.join(ROOT, 'scripts', 'docs', 'check-links.mjs');

function check(root: string): { status: number | null; output: string } {
  const res = spawnSync(process.execPath, [CHECKER, root], { encoding: 'utf8' });
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

describe('documentation links', () => {
  it('resolve to existing files and headings in README.md, docs/ and helm/bulwark/README.md', () => {
    const res = check(ROOT);
    expect(res.output).toMatch(/check-links: \d+ files, 0 broken links/);
    expect(res.status).toBe(0);
  });

  it('are never citations of documents outside the repository', () => {
    const res = check(ROOT);
    expect(res.output).toContain('check-links: 0 citations of documents outside the repository');
    expect(res.status).toBe(0);
  });

  it('checks docs/ recursively, the README and the chart README', () => {
    const res = check(ROOT);
    const files = Number(/check-links: (\d+) files/.exec(res.output)?.[1]);
    const docs = fs
      .readdirSync(path.join(ROOT, 'docs'), { recursive: true })
      .filter((f) => String(f).endsWith('.md'));
    expect(files).toBe(docs.length + 2);
  });

  describe('the check itself', () => {
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-links-'));
      const repo = path.join(dir, 'repo');
      fs.mkdirSync(path.join(repo, 'docs', 'deep'), { recursive: true });
      fs.mkdirSync(path.join(repo, 'helm', 'bulwark'), { recursive: true });
      fs.mkdirSync(path.join(repo, 'src'));
      fs.writeFileSync(path.join(dir, 'outside.md'), '# Outside\n');
      fs.writeFileSync(
        path.join(repo, 'README.md'),
        [
          '# Top',
          '',
          'Fine: [a](docs/a.md#the-section), [a folder](src/), [here](#top), [web](https://example.com/x),',
          '`[code](not/checked.md)`.',
          '',
          'Broken: [no heading](docs/a.md#no-such-heading), [no file](docs/missing.md), [no anchor](#nowhere),',
          '[outside](../outside.md).',
          '',
        ].join('\n'),
      );
      fs.writeFileSync(
        path.join(repo, 'docs', 'a.md'),
        '# A\n\n## The section\n\n[up](../README.md#top), [deep](deep/b.md#b-1), [bad deep](deep/b.md#c)\n',
      );
      fs.writeFileSync(
        path.join(repo, 'docs', 'deep', 'b.md'),
        '# B\n\n## B\n\n[chart](../../helm/bulwark/README.md)\n',
      );
      fs.writeFileSync(path.join(repo, 'helm', 'bulwark', 'README.md'), '# Chart\n\n[gone](values.yaml)\n');
      fs.writeFileSync(path.join(repo, 'src', 'a.ts'), '// fine\n/** Orders (CONTRACT "Orders"). */\n');
      fs.writeFileSync(path.join(repo, 'Dockerfile'), 'FROM x\n# recipe: ../shared/TOOLING.md\n');
      fs.mkdirSync(path.join(repo, 'src', 'node_modules'));
      fs.writeFileSync(path.join(repo, 'src', 'node_modules', 'dep.js'), '// CONTRACT section 1\n');
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('names every broken link and fails', () => {
      const res = check(path.join(dir, 'repo'));
      expect(res.status).toBe(1);
      expect(res.output).toContain('check-links: 4 files, 6 broken links');
      for (const expected of [
        'Cannot find heading for `#no-such-heading` in `docs/a.md`',
        'Cannot find file `docs/missing.md`',
        'Cannot find heading for `#nowhere`',
        'Link leaves the repository: `../outside.md`',
        'Cannot find heading for `#c` in `deep/b.md`',
        'Cannot find file `values.yaml`',
      ])
        expect(res.output).toContain(expected);
    });

    it('names every citation of a document outside the repository and fails', () => {
      const res = check(path.join(dir, 'repo'));
      expect(res.status).toBe(1);
      expect(res.output).toContain('check-links: 2 citations of documents outside the repository');
      expect(res.output).toContain('src/a.ts:2: cites "CONTRACT"');
      expect(res.output).toContain('Dockerfile:2: cites "../shared/"');
    });
  });
});
