// The runbooks' fenced blocks, for the specs that check them (docs/runbooks/*.md).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './tools';

export const RUNBOOK_DIR = path.join(ROOT, 'docs', 'runbooks');

export const runbookFiles = (): string[] =>
  fs
    .readdirSync(RUNBOOK_DIR)
    .filter((f) => f.endsWith('.md'))
    .sort();

/** Every fenced block of the given language in the runbooks, with the file it comes from. */
export function runbookBlocks(lang: 'bash' | 'promql'): { file: string; text: string }[] {
  return runbookFiles().flatMap((file) => {
    const md = fs.readFileSync(path.join(RUNBOOK_DIR, file), 'utf8');
    // Blocks may be indented (inside list items): the fence's indentation is stripped from each line.
    return [...md.matchAll(new RegExp(`^( *)\`\`\`${lang}\\n([\\s\\S]*?)^\\1\`\`\``, 'gm'))].map((m) => ({
      file,
      text: m[2]
        .split('\n')
        .map((l) => l.slice(m[1].length))
        .join('\n')
        .trim(),
    }));
  });
}
