import type { CommandResult, CommandRunner } from '../../../src/rollout/platforms/command-runner';

export interface RecordedCommand {
  command: string;
  args: string[];
}

/**
 * A test double of the tool's command runner: records every command instead of running it, answering
 * from `respond` (default: success, no output). The tool's unit specs and the chart spec use it to
 * check what the kubernetes platform would tell helm and kubectl.
 */
export class RecordingRunner implements CommandRunner {
  readonly calls: RecordedCommand[] = [];

  constructor(
    private readonly respond: (
      call: RecordedCommand,
    ) => Partial<CommandResult> | Promise<Partial<CommandResult>> = () => ({}),
  ) {}

  async run(command: string, args: string[]): Promise<CommandResult> {
    const call = { command, args: [...args] };
    this.calls.push(call);
    const r = await this.respond(call);
    return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', code: r.code ?? 0 };
  }

  /** The `--set`/`--set-string` pairs of one helm invocation, in order. */
  static sets(args: string[]): Array<{ flag: string; key: string; value: string }> {
    const out: Array<{ flag: string; key: string; value: string }> = [];
    for (let i = 0; i < args.length - 1; i++) {
      if (args[i] === '--set' || args[i] === '--set-string') {
        const [key, ...rest] = args[i + 1].split('=');
        out.push({ flag: args[i], key, value: rest.join('=') });
      }
    }
    return out;
  }
}
