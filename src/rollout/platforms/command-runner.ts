import { execFile } from 'node:child_process';

export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs external programs (helm, kubectl, nginx). Tests swap in a recording runner. */
export interface CommandRunner {
  run(command: string, args: string[], options?: { timeoutMs?: number }): Promise<CommandResult>;
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly args: string[],
    readonly result: CommandResult,
  ) {
    super(
      `${command} ${args.join(' ')} exited ${result.code}: ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ')}`,
    );
    this.name = 'CommandError';
  }
}

/** Never throws for a non-zero exit: callers decide (see `check`). */
export class ProcessRunner implements CommandRunner {
  run(command: string, args: string[], options: { timeoutMs?: number } = {}): Promise<CommandResult> {
    return new Promise((resolve) => {
      execFile(
        command,
        args,
        { timeout: options.timeoutMs ?? 600_000, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 127) : 0;
          const extra =
            error && error.code === 'ENOENT'
              ? `${command} not found: install it or pass its path (--helm, --kubectl, --nginx). ` +
                `helm: https://helm.sh/docs/intro/install/, kubectl: https://kubernetes.io/docs/tasks/tools/ ` +
                `(macOS: brew install helm kubectl); scripts/tools/install-helm.sh puts both into .tools/ on linux/amd64 only\n`
              : error && typeof error.code !== 'number'
                ? `${error.message}\n`
                : '';
          resolve({ stdout: String(stdout), stderr: extra + String(stderr), code });
        },
      );
    });
  }
}

export async function check(
  runner: CommandRunner,
  command: string,
  args: string[],
  options?: { timeoutMs?: number },
): Promise<string> {
  const result = await runner.run(command, args, options);
  if (result.code !== 0) throw new CommandError(command, args, result);
  return result.stdout;
}
