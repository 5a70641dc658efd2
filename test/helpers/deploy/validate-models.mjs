// Validates Kubernetes objects against the kubernetes-models schemas (core, prometheus-operator,
// gateway-api, argo-rollouts). The model packages are ESM-only, so jest runs this as a child process:
//   node validate-models.mjs objects.json   ->   stdout: JSON [{ id, error }] for every failure
import { readFileSync } from 'node:fs';

function modulePath(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === '') return `kubernetes-models/${version}/${kind}`;
  if (group === 'gateway.networking.k8s.io')
    return `@kubernetes-models/gateway-api/${group}/${version}/${kind}`;
  if (group === 'monitoring.coreos.com')
    return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  if (group === 'argoproj.io') return `@kubernetes-models/argo-rollouts/${group}/${version}/${kind}`;
  return `kubernetes-models/${group}/${version}/${kind}`;
}

const items = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const failures = [];
for (const { id, object } of items) {
  try {
    const mod = await import(modulePath(object.apiVersion, object.kind));
    const Model = mod[object.kind];
    if (typeof Model !== 'function') throw new Error(`no model for ${object.apiVersion} ${object.kind}`);
    new Model(object).validate();
  } catch (err) {
    failures.push({ id, error: String(err && err.message ? err.message : err) });
  }
}
process.stdout.write(JSON.stringify(failures));
