import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The module specifiers a source file imports, in order. */
function importsOf(file: string): string[] {
  const source = readFileSync(join(__dirname, file), 'utf8');
  return [...source.matchAll(/^import\s+(?:[^'"]*?\s+from\s+)?'([^']+)';/gm)].map((m) => m[1]);
}

describe('compile-cache-warm (what the image build compiles ahead)', () => {
  it('loads exactly the modules main.ts loads, the compile cache first', () => {
    const main = importsOf('main.ts');
    expect(main[0]).toBe('./compile-cache');
    expect(main.length).toBeGreaterThan(5);
    expect(importsOf('compile-cache-warm.ts')).toEqual(main);
  });
});
