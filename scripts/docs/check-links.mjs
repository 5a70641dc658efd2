#!/usr/bin/env node
// Checks that every relative link in the repository's documentation points at a file that exists
// and, for a link into a markdown file, at a heading that exists there (GitHub's anchor rules).
// The checking is remark-validate-links run through unified-engine, the engine behind remark-cli:
// only the engine checks headings across files (https://github.com/remarkjs/remark-validate-links#api).
//
// It also refuses citations of documents that are not in the repository (the original product brief
// and tooling notes): code, tests, scripts, chart and docs cite the docs/ page that carries the rule.
//
// Usage: node scripts/docs/check-links.mjs [root]   (root: the repository, default: this one)
// Exit 0 when every link resolves and nothing cites an outside document; 1 with one line per
// broken link or citation otherwise.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { remark } from 'remark';
import remarkValidateLinks from 'remark-validate-links';
import { engine } from 'unified-engine';

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..'));

/** The documentation: README.md, every markdown file under docs/, and the chart's README. */
function documentationFiles() {
  const files = ['README.md', 'helm/bulwark/README.md'].filter((f) => existsSync(join(root, f)));
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  if (existsSync(join(root, 'docs'))) walk('docs');
  return files.sort();
}

/**
 * A remark plugin: a relative link must stay inside the repository. remark-validate-links would
 * accept a link to a file that happens to exist beside the checkout; a reader of the
 * repository has no such file.
 */
function linksStayInRepository() {
  const isRelative = (url) => !/^([a-z][a-z\d+.-]*:|\/\/|#)/i.test(url);
  return (tree, file) => {
    const visit = (node) => {
      if (['link', 'image', 'definition'].includes(node.type) && isRelative(node.url)) {
        const path = decodeURIComponent(node.url.split('#')[0].split('?')[0]);
        const base = path.startsWith('/') ? root : dirname(resolve(file.cwd, file.path));
        const target = join(base, path);
        if (relative(root, target).startsWith('..')) {
          file.message(`Link leaves the repository: \`${node.url}\``, node, 'check-links:outside-repository');
        }
      }
      for (const child of node.children ?? []) visit(child);
    };
    visit(tree);
  };
}

/** Where a citation of an outside document would be read: all of it but dependencies and builds. */
const CITING_ROOTS = ['src', 'test', 'scripts', 'helm', 'k8s', 'docs', 'bench', '.ci'];
const SKIPPED_DIRECTORIES = new Set(['node_modules', 'dist', '.tools', 'coverage', '.git']);
/** This checker and its spec name the patterns themselves. */
const SELF = new Set(['scripts/docs/check-links.mjs', 'test/docs/links.system-spec.ts']);
/** "CONTRACT section 2", "TOOLING.md", "../shared/STYLE.md": documents a reader of the repository has not got. */
const OUTSIDE_CITATION = /\b(CONTRACT|TOOLING)\b|(\.\.|\/work)\/shared\//;

function citingFiles() {
  const files = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isFile() && (/\.(json|md)$/.test(e.name) || e.name === 'Dockerfile'))
    .map((e) => e.name);
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) walk(path);
      } else if (entry.isFile() && !SELF.has(path)) files.push(path);
    }
  };
  for (const dir of CITING_ROOTS) if (existsSync(join(root, dir))) walk(dir);
  return files.sort();
}

/** One `file:line: ...` line per citation of a document outside the repository. */
function outsideCitations() {
  const found = [];
  for (const file of citingFiles()) {
    if (statSync(join(root, file)).size > 2_000_000) continue;
    const text = readFileSync(join(root, file), 'utf8');
    if (text.includes('\0')) continue; // binary
    text.split('\n').forEach((line, i) => {
      const match = OUTSIDE_CITATION.exec(line);
      if (match) {
        found.push(
          `${file}:${i + 1}: cites "${match[0]}", which is not in the repository: cite the docs/ page that carries the rule`,
        );
      }
    });
  }
  return found;
}

const citations = outsideCitations();
for (const line of citations) console.error(line);
console.log(`check-links: ${citations.length} citations of documents outside the repository`);

const files = documentationFiles();
if (files.length === 0) {
  console.error(`check-links: no documentation found under ${root}`);
  process.exit(1);
}

engine(
  {
    processor: remark(),
    cwd: root,
    files,
    // `repository: false`: links are checked as local paths; no Git remote is consulted.
    plugins: [[remarkValidateLinks, { repository: false, root }], linksStayInRepository],
    // No .remarkrc or package.json field may change what is checked.
    detectConfig: false,
    detectIgnore: false,
    frail: true,
    quiet: true,
    color: false,
    out: false,
    streamError: process.stderr,
  },
  (error, code, context) => {
    if (error) {
      console.error(`check-links: ${error.message}`);
      process.exit(1);
    }
    const checked = context.files.map((f) => relative(root, f.path));
    const broken = context.files.reduce((n, f) => n + f.messages.length, 0);
    console.log(`check-links: ${checked.length} files, ${broken} broken links`);
    process.exit(code === 0 && broken === 0 && citations.length === 0 ? 0 : 1);
  },
);
