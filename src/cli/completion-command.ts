/** `baton completion bash|zsh|fish`: prints the shell's completion script for this very command tree. */
import { Argument, Command } from 'commander';
import { bashCompletion, fishCompletion, zshCompletion } from './completion';

const SCRIPTS = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion };

export function completionCommand(): Command {
  return new Command('completion')
    .description('print a shell completion script (bash: `source <(baton completion bash)`; see docs/cli.md)')
    .addArgument(new Argument('<shell>', 'the shell').choices(Object.keys(SCRIPTS)))
    .action((shell: keyof typeof SCRIPTS, _opts: unknown, command: Command) => {
      let root = command;
      while (root.parent) root = root.parent;
      process.stdout.write(SCRIPTS[shell](root));
    });
}
