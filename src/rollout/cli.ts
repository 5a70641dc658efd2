#!/usr/bin/env node
import { main } from './main';

// bulwark-rollout: `npm run rollout -- <command>`. SIGINT/SIGTERM during `run` roll the canary back
// before exiting; a second signal exits at once.
const controller = new AbortController();
let signals = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    signals += 1;
    if (signals > 1) process.exit(1);
    controller.abort();
  });
}

main(process.argv.slice(2), process.env, { signal: controller.signal }).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`error: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
