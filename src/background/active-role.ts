// Engine argo (docs/engines.md): a pod learns its role from its own labels. Argo Rollouts labels the
// pods of the stable ReplicaSet and of the canary with the chart's ephemeral metadata
// (`bulwark.dev/role: stable` / `canary`) and moves the label in place on promotion; the kubelet
// writes the pod's labels into a downward API file (ACTIVE_ROLE_FILE), one `key="value"` per line,
// sorted, and replaces it atomically when they change.

export const ROLE_LABEL = 'bulwark.dev/role';

export type Role = 'stable' | 'canary';

/**
 * What the labels file says: the role, `none` when the pod carries no role label (a ReplicaSet that
 * is neither stable nor canary, e.g. the previous version waiting to be scaled down), or why the
 * file cannot be read as labels.
 */
export type RoleReading = { role: Role | 'none' } | { problem: string };

const LINE = /^([^=\s]+)="((?:[^"\\]|\\.)*)"$/;

/** The labels of a downward API `metadata.labels` file; undefined when a line is not `key="value"`. */
export function parseLabels(text: string): Map<string, string> | undefined {
  const labels = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = LINE.exec(line.trim());
    if (!m) return undefined;
    try {
      labels.set(m[1], JSON.parse(`"${m[2]}"`) as string);
    } catch {
      return undefined;
    }
  }
  return labels;
}

export function describeRole(text: string): RoleReading {
  const labels = parseLabels(text);
  if (!labels || labels.size === 0) {
    const shown = text.trim().slice(0, 40);
    return {
      problem: `the file does not list the pod's labels (expected key="value" lines, found "${shown}")`,
    };
  }
  const role = labels.get(ROLE_LABEL);
  if (role === undefined) return { role: 'none' };
  if (role === 'stable' || role === 'canary') return { role };
  return { problem: `the label ${ROLE_LABEL} is "${role.slice(0, 40)}", neither stable nor canary` };
}
