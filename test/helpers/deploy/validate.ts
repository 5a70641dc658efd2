// Offline validation of rendered objects:
//  1. kubernetes-models' JSON-schema validators (types, enums, required fields, unknown kinds);
//  2. unknown fields: every object becomes a typed TypeScript constant and `tsc` type-checks it;
//     excess-property checks name any field the Kubernetes API does not know.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { K8sObject } from './render';
import { ROOT, run, scratchDir } from './tools';

export interface Labelled {
  id: string;
  object: K8sObject;
}

export function validateModels(items: Labelled[]): { id: string; error: string }[] {
  const dir = scratchDir('deploy-models');
  try {
    const file = path.join(dir, 'objects.json');
    fs.writeFileSync(file, JSON.stringify(items));
    const res = run(process.execPath, [path.join(__dirname, 'validate-models.mjs'), file]);
    if (res.status !== 0) throw new Error(`validate-models.mjs failed:\n${res.stderr}`);
    return JSON.parse(res.stdout) as { id: string; error: string }[];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function typeImport(apiVersion: string, kind: string): { module: string; type: string } {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const type = `I${kind}`;
  if (group === '') return { module: `kubernetes-models/${version}/${kind}`, type };
  if (group === 'gateway.networking.k8s.io')
    return { module: `@kubernetes-models/gateway-api/${group}/${version}/${kind}`, type };
  if (group === 'monitoring.coreos.com')
    return { module: `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`, type };
  if (group === 'argoproj.io')
    return { module: `@kubernetes-models/argo-rollouts/${group}/${version}/${kind}`, type };
  return { module: `kubernetes-models/${group}/${version}/${kind}`, type };
}

/** Returns tsc's diagnostics, each prefixed with the object's id; empty when every object type-checks. */
export function typeCheck(items: Labelled[]): string[] {
  const dir = scratchDir('deploy-typecheck');
  try {
    const imports = new Map<string, string>();
    const lines: string[] = [];
    const ids: string[] = [];
    items.forEach(({ id, object }, i) => {
      const { module, type } = typeImport(object.apiVersion, object.kind);
      const alias = `${type}_${imports.size}`;
      if (!imports.has(module)) imports.set(module, alias);
      ids.push(id);
      lines.push(`export const o${i}: ${imports.get(module)} = ${JSON.stringify(object, null, 1)};`);
    });
    const head = [...imports].map(([module, alias]) => {
      const type = alias.replace(/_\d+$/, '');
      return `import type { ${type} as ${alias} } from '${module}';`;
    });
    fs.writeFileSync(path.join(dir, 'objects.mts'), `${head.join('\n')}\n${lines.join('\n')}\n`);
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          skipLibCheck: true,
          types: [],
        },
        files: ['objects.mts'],
      }),
    );
    const res = run(process.execPath, [
      path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      dir,
      '--pretty',
      'false',
    ]);
    if (res.status === 0) return [];
    const src = fs.readFileSync(path.join(dir, 'objects.mts'), 'utf8').split('\n');
    // Map each diagnostic's line back to the object it belongs to.
    const starts: number[] = [];
    src.forEach((l, n) => {
      const m = /^export const o(\d+):/.exec(l);
      if (m) starts[Number(m[1])] = n + 1;
    });
    return (res.stdout + res.stderr)
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const m = /objects\.mts\((\d+),\d+\)/.exec(l);
        if (!m) return l;
        const line = Number(m[1]);
        let idx = 0;
        starts.forEach((s, i) => {
          if (s <= line) idx = i;
        });
        return `${ids[idx]}: ${l}`;
      });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
