#!/usr/bin/env node
import { main } from './main';

// bulwark-rollout: `npm run rollout -- <command>`. The tool's one entry point and the only file of it
// that touches the process: arguments, environment, stdout/stderr, signals and the exit code are
// wired here and handed to `main`. SIGINT/SIGTERM during `run` roll the canary back before exiting;
// a second signal exits at once.
const controller = new AbortController();
let signals = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    signals += 1;
    if (signals > 1) process.exit(1);
    controller.abort();
  });
}

const line =
  (stream: NodeJS.WriteStream) =>
  (text: string): void => {
    stream.write(`${text}\n`);
  };

main(process.argv.slice(2), process.env, {
  out: line(process.stdout),
  err: line(process.stderr),
  signal: controller.signal,
}).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`error: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
