// js-yaml (a devDependency) ships no types and @types/js-yaml is not installed: the three calls used
// here are typed by hand.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const yaml = require('js-yaml') as {
  load(text: string): unknown;
  loadAll(text: string): unknown[];
  dump(value: unknown): string;
};
