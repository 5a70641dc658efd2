import { join } from 'node:path';
import { Colour, COLOURS, InconsistentStateError, isColour, otherColour, RolloutState } from './platform';

// The nginx platform's state and the nginx.conf it renders, as pure functions. The state file is the
// source of truth; nginx.conf is derived from it, and the two are checked against each other before
// any change, so a hand-edited upstream is refused rather than silently overwritten.

export interface NginxUpstream {
  /** host:port of one local Bulwark process. */
  address: string;
  /** The version `start` recorded for it; null before a first start. */
  version: string | null;
}

export interface NginxState {
  /** host:port nginx listens on. */
  listen: string;
  activeColor: Colour;
  weight: number;
  upstreams: Record<Colour, NginxUpstream>;
  /** Grows with every change; nginx answers it at GENERATION_PATH, so a reload can be confirmed. */
  generation?: number;
}

/** Served by nginx itself (not proxied): the generation of the config that answered. */
export const GENERATION_PATH = '/__bulwark-rollout/generation';

export const STATE_FILE = 'rollout-state.json';
export const CONF_FILE = 'nginx.conf';
export const LOCK_FILE = 'rollout.lock';

export function parseState(text: string): NginxState {
  let raw: Partial<NginxState>;
  try {
    raw = JSON.parse(text) as Partial<NginxState>;
  } catch {
    throw new InconsistentStateError(`${STATE_FILE} is not valid JSON`);
  }
  if (!isColour(raw.activeColor))
    throw new InconsistentStateError(`${STATE_FILE}: activeColor must be blue or green`);
  if (typeof raw.weight !== 'number' || !Number.isInteger(raw.weight) || raw.weight < 0 || raw.weight > 100) {
    throw new InconsistentStateError(`${STATE_FILE}: weight must be an integer 0–100`);
  }
  if (typeof raw.listen !== 'string' || !/^[^\s;]+:\d+$/.test(raw.listen))
    throw new InconsistentStateError(`${STATE_FILE}: listen must be host:port`);
  for (const c of COLOURS) {
    const u = raw.upstreams?.[c];
    if (!u || typeof u.address !== 'string' || !/^[^\s;]+:\d+$/.test(u.address))
      throw new InconsistentStateError(`${STATE_FILE}: upstreams.${c}.address must be host:port`);
    if (u.version !== null && typeof u.version !== 'string')
      throw new InconsistentStateError(`${STATE_FILE}: upstreams.${c}.version must be a string or null`);
  }
  if (
    raw.generation !== undefined &&
    (typeof raw.generation !== 'number' || !Number.isInteger(raw.generation))
  ) {
    throw new InconsistentStateError(`${STATE_FILE}: generation must be an integer`);
  }
  return raw as NginxState;
}

export function toRolloutState(s: NginxState): RolloutState {
  return {
    activeColor: s.activeColor,
    previewColor: otherColour(s.activeColor),
    weight: s.weight,
    versions: { blue: s.upstreams.blue.version, green: s.upstreams.green.version },
  };
}

/** Upstream weight per colour for a state; 0 means the server is marked `down` (nginx has no weight=0). */
export function upstreamWeights(s: Pick<NginxState, 'activeColor' | 'weight'>): Record<Colour, number> {
  const preview = otherColour(s.activeColor);
  return { [s.activeColor]: 100 - s.weight, [preview]: s.weight } as Record<Colour, number>;
}

export function renderConf(s: NginxState, dir: string): string {
  const weights = upstreamWeights(s);
  const server = (c: Colour): string =>
    weights[c] > 0
      ? `    server ${s.upstreams[c].address} weight=${weights[c]}; # ${c}`
      : `    server ${s.upstreams[c].address} down; # ${c}`;
  const path = (p: string): string => join(dir, p);
  return `# Written by bulwark-rollout (nginx platform) from ${STATE_FILE}; edits by hand are refused.
worker_processes 1;
pid ${path('nginx.pid')};
error_log ${path('error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${path('tmp/client')};
  proxy_temp_path ${path('tmp/proxy')};
  fastcgi_temp_path ${path('tmp/fastcgi')};
  uwsgi_temp_path ${path('tmp/uwsgi')};
  scgi_temp_path ${path('tmp/scgi')};
  upstream bulwark {
${server('blue')}
${server('green')}
    keepalive 64;
  }
  server {
    listen ${s.listen};
    location = ${GENERATION_PATH} {
      default_type text/plain;
      return 200 "${s.generation ?? 0}\\n";
    }
    location / {
      proxy_pass http://bulwark;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      # Which colour answered, for people and for the rehearsal's checks.
      add_header X-Bulwark-Upstream $upstream_addr always;
    }
  }
}
`;
}

/** Reads the weights back out of a rendered nginx.conf. */
export function parseConfWeights(conf: string): Record<Colour, number> {
  const found: Partial<Record<Colour, number>> = {};
  for (const m of conf.matchAll(/^\s*server\s+\S+\s+(weight=(\d+)|down)\s*;\s*#\s*(blue|green)\s*$/gm)) {
    found[m[3] as Colour] = m[2] === undefined ? 0 : Number(m[2]);
  }
  if (found.blue === undefined || found.green === undefined)
    throw new InconsistentStateError(`${CONF_FILE} has no bulwark-rollout upstream (blue and green servers)`);
  return found as Record<Colour, number>;
}

export function assertConfMatches(s: NginxState, conf: string): void {
  const want = upstreamWeights(s);
  const got = parseConfWeights(conf);
  if (want.blue !== got.blue || want.green !== got.green) {
    throw new InconsistentStateError(
      `${CONF_FILE} routes blue=${got.blue} green=${got.green} but ${STATE_FILE} says blue=${want.blue} green=${want.green} ` +
        `(changed by hand or by an interrupted run); \`abort\` rewrites it from the state`,
    );
  }
}
