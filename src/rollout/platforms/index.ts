import { KubernetesPlatform } from './kubernetes';
import { NginxPlatform } from './nginx';
import type { Platform, PlatformOptions } from './platform';

export * from './platform';
export type { CommandRunner } from './command-runner';
export { ProcessRunner } from './command-runner';

// One entry per traffic router: adding one is a file and a line here.
const platforms: Record<string, (o: PlatformOptions) => Platform> = {
  kubernetes: (o) => new KubernetesPlatform(o),
  nginx: (o) => new NginxPlatform(o),
};

export const platformTypes = Object.keys(platforms);

export function createPlatform(type: string, options: PlatformOptions): Platform {
  const make = platforms[type];
  if (!make) throw new Error(`unknown platform "${type}" (known: ${platformTypes.join(', ')})`);
  return make(options);
}
