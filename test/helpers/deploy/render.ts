// Renders the chart offline (`helm template`) and parses the objects.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { yaml } from './yaml';
import { CHART, HELM4, helm } from './tools';

export const RELEASE = 'shop';
export const NAMESPACE = 'bulwark';
export const FULLNAME = 'shop-bulwark';

// Loose on purpose: the specs read fields; the model validation checks the shapes.
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    /** Objects created with `kubectl create` may carry this instead of a name (k8s/demo-load.yaml). */
    generateName?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [k: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any
};

export interface RenderOptions {
  valuesFiles?: string[];
  set?: Record<string, string | number | boolean>;
  bin?: string;
}

export function scenarioFiles(): string[] {
  const dir = path.join(CHART, 'ci');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('-values.yaml'))
    .sort()
    .map((f) => path.join(dir, f));
}

export function templateArgs(options: RenderOptions): string[] {
  const args = ['template', RELEASE, CHART, '--namespace', NAMESPACE, '--kube-version', '1.31.0'];
  for (const f of options.valuesFiles ?? []) args.push('--values', f);
  for (const [k, v] of Object.entries(options.set ?? {}))
    args.push(typeof v === 'string' ? '--set-string' : '--set', `${k}=${v}`);
  return args;
}

export function renderRaw(options: RenderOptions = {}): string {
  const res = helm(templateArgs(options), options.bin ?? HELM4);
  if (res.status !== 0) throw new Error(`helm template failed (${res.status}):\n${res.stderr}`);
  return res.stdout;
}

export function render(options: RenderOptions = {}): K8sObject[] {
  return yaml
    .loadAll(renderRaw(options))
    .filter((doc): doc is K8sObject => doc !== null && typeof doc === 'object');
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const hit = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!hit)
    throw new Error(
      `${kind}/${name} not rendered; have ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
    );
  return hit;
}

export function maybe(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

export function ofKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}
