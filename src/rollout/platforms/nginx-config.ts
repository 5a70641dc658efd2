import { join } from 'node:path';
import { Colour, COLOURS, InconsistentStateError, isColour, otherColour, RolloutState } from './platform';

// The nginx platform's state and the nginx.conf it renders, as pure functions. The state file is the
// source of truth; nginx.conf is derived from it, and the two are checked against each other before
// any change, so a hand-edited upstream is refused rather than silently overwritten.

export interface NginxUpstream {
  /** host:port of the colour's local Bulwark process, or of each of its instances, comma-separated. */
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
  /**
   * The colour that lost (the rejected canary after an abort, the old colour after a promotion) and
   * when it is due to be scaled to 0 (ISO time). From then on it counts as having no instance: no
   * weight may go to it and `promote` refuses, until `start` puts a version on it again.
   */
  scaleDown?: { colour: Colour; at: string };
}

/** The file naming the active colour for the instances (ACTIVE_COLOR_FILE; one line, like the chart's). */
export const ACTIVE_COLOR_FILE = 'active-color';

/** The instances (host:port) of a colour. */
export function instancesOf(u: NginxUpstream): string[] {
  return u.address.split(',').map((a) => a.trim());
}

/** True when `colour`'s scale-down time has come (it then counts as having no instance). */
export function scaledDown(s: Pick<NginxState, 'scaleDown'>, colour: Colour, now = Date.now()): boolean {
  return s.scaleDown?.colour === colour && Date.parse(s.scaleDown.at) <= now;
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
    if (!u || typeof u.address !== 'string' || !/^[^\s;,]+:\d+(,[^\s;,]+:\d+)*$/.test(u.address))
      throw new InconsistentStateError(
        `${STATE_FILE}: upstreams.${c}.address must be host:port (several: comma-separated)`,
      );
    if (u.version !== null && typeof u.version !== 'string')
      throw new InconsistentStateError(`${STATE_FILE}: upstreams.${c}.version must be a string or null`);
  }
  if (
    raw.generation !== undefined &&
    (typeof raw.generation !== 'number' || !Number.isInteger(raw.generation))
  ) {
    throw new InconsistentStateError(`${STATE_FILE}: generation must be an integer`);
  }
  if (
    raw.scaleDown !== undefined &&
    (!isColour(raw.scaleDown?.colour) ||
      typeof raw.scaleDown.at !== 'string' ||
      Number.isNaN(Date.parse(raw.scaleDown.at)))
  ) {
    throw new InconsistentStateError(
      `${STATE_FILE}: scaleDown must be { colour: blue|green, at: an ISO time }`,
    );
  }
  return raw as NginxState;
}

/** The platform-neutral state; a colour past its scale-down time has 0 instances. */
export function toRolloutState(s: NginxState, now = Date.now()): RolloutState {
  const replicas = (c: Colour): number => (scaledDown(s, c, now) ? 0 : instancesOf(s.upstreams[c]).length);
  return {
    activeColor: s.activeColor,
    previewColor: otherColour(s.activeColor),
    weight: s.weight,
    versions: { blue: s.upstreams.blue.version, green: s.upstreams.green.version },
    replicas: { blue: replicas('blue'), green: replicas('green') },
  };
}

/** Upstream weight per colour for a state; 0 means the server is marked `down` (nginx has no weight=0). */
export function upstreamWeights(s: Pick<NginxState, 'activeColor' | 'weight'>): Record<Colour, number> {
  const preview = otherColour(s.activeColor);
  return { [s.activeColor]: 100 - s.weight, [preview]: s.weight } as Record<Colour, number>;
}

/**
 * Each colour gets its share whatever its number of instances: a server's weight is its colour's
 * weight × the other colour's instance count, so a colour's servers sum to weight × both counts.
 */
export function renderConf(s: NginxState, dir: string): string {
  const weights = upstreamWeights(s);
  const count = (c: Colour): number => instancesOf(s.upstreams[c]).length;
  const server = (c: Colour): string =>
    instancesOf(s.upstreams[c])
      .map((address) =>
        weights[c] > 0
          ? `    server ${address} weight=${weights[c] * count(otherColour(c))}; # ${c}`
          : `    server ${address} down; # ${c}`,
      )
      .join('\n');
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

export interface ConfServer {
  colour: Colour;
  address: string;
  /** 0 for a server marked `down`. */
  weight: number;
}

/** The rollout upstream's servers as the state says nginx.conf must list them. */
export function expectedServers(s: NginxState): ConfServer[] {
  const weights = upstreamWeights(s);
  return COLOURS.flatMap((c) =>
    instancesOf(s.upstreams[c]).map((address) => ({
      colour: c,
      address,
      weight: weights[c] * instancesOf(s.upstreams[otherColour(c)]).length,
    })),
  );
}

/** The rollout upstream's servers in a rendered nginx.conf. */
export function parseConfServers(conf: string): ConfServer[] {
  const servers: ConfServer[] = [];
  for (const m of conf.matchAll(/^\s*server\s+(\S+)\s+(weight=(\d+)|down)\s*;\s*#\s*(blue|green)\s*$/gm))
    servers.push({ colour: m[4] as Colour, address: m[1], weight: m[3] === undefined ? 0 : Number(m[3]) });
  if (!servers.some((x) => x.colour === 'blue') || !servers.some((x) => x.colour === 'green'))
    throw new InconsistentStateError(`${CONF_FILE} has no bulwark-rollout upstream (blue and green servers)`);
  return servers;
}

const sums = (servers: ConfServer[]): Record<Colour, number> => ({
  blue: servers.filter((x) => x.colour === 'blue').reduce((n, x) => n + x.weight, 0),
  green: servers.filter((x) => x.colour === 'green').reduce((n, x) => n + x.weight, 0),
});

/** Reads the weights (each colour's share of traffic, in percent) back out of a rendered nginx.conf. */
export function parseConfWeights(conf: string): Record<Colour, number> {
  const total = sums(parseConfServers(conf));
  if (total.blue + total.green === 0) return { blue: 0, green: 0 };
  const blue = Math.round((100 * total.blue) / (total.blue + total.green));
  return { blue, green: 100 - blue };
}

export function assertConfMatches(s: NginxState, conf: string): void {
  const line = (x: ConfServer): string => `${x.colour} ${x.address} ${x.weight}`;
  const want = expectedServers(s);
  const got = parseConfServers(conf);
  if (want.map(line).sort().join('\n') !== got.map(line).sort().join('\n')) {
    const w = sums(want);
    const g = sums(got);
    throw new InconsistentStateError(
      `${CONF_FILE} routes blue=${g.blue} green=${g.green} but ${STATE_FILE} says blue=${w.blue} green=${w.green} ` +
        `(changed by hand or by an interrupted run); \`abort\` rewrites it from the state`,
    );
  }
}
