/**
 * Shell completion scripts for bash, zsh and fish, generated from the commander program tree, so
 * they never go stale: every command path (`baton repo backup`) offers its subcommands, its options
 * and its argument's choices; an option with choices (`--kind`) offers them. Each script finds the
 * command path from the words typed so far the same way, by walking known paths.
 */
import type { Command } from 'commander';

/** One command of the tree, as completion needs it. */
interface CommandEntry {
  /** `baton`, `baton repo`, `baton repo backup`. */
  path: string;
  subcommands: { name: string; description: string }[];
  options: { long: string; short?: string; description: string; takesValue: boolean; choices?: string[] }[];
  /** Choices of the command's first argument (`baton completion <shell>`). */
  argumentChoices: string[];
}

/** Every command of the tree, depth first, with `--help` (and the root's `help` and `--version`). */
export function commandEntries(root: Command, prefix = ''): CommandEntry[] {
  const path = prefix ? `${prefix} ${root.name()}` : root.name();
  const subcommands = root.commands.map((c) => ({ name: c.name(), description: c.description() }));
  if (!prefix && subcommands.length > 0) subcommands.push({ name: 'help', description: 'display help for command' });
  const options = root.options
    .filter((o) => !o.hidden && o.long)
    .map((o) => ({
      long: o.long as string,
      short: o.short,
      description: o.description,
      takesValue: o.required || o.optional,
      choices: o.argChoices,
    }));
  options.push({
    long: '--help',
    short: '-h',
    description: 'display help for command',
    takesValue: false,
    choices: [],
  });
  const entry: CommandEntry = {
    path,
    subcommands,
    options,
    argumentChoices: root.registeredArguments[0]?.argChoices ?? [],
  };
  return [entry, ...root.commands.flatMap((c) => commandEntries(c, path))];
}

/** The words a command offers where its next word goes. */
function wordsOf(e: CommandEntry): string[] {
  return [...e.subcommands.map((s) => s.name), ...e.argumentChoices, ...e.options.map((o) => o.long)];
}

/** The paths that take another word, as case patterns: `"baton repo"|"baton repo backup"`. */
function pathPatterns(entries: CommandEntry[]): string {
  return entries
    .slice(1)
    .map((e) => `"${e.path}"`)
    .join('|');
}

/** The options with choices, for the word after them: `"baton repo init --kind"`. */
function choiceOptions(entries: CommandEntry[]): { key: string; choices: string[] }[] {
  return entries.flatMap((e) =>
    e.options.filter((o) => o.choices?.length).map((o) => ({ key: `${e.path} ${o.long}`, choices: o.choices ?? [] })),
  );
}

export function bashCompletion(root: Command): string {
  const entries = commandEntries(root);
  const name = root.name();
  const lines = [
    `# ${name} completion for bash: \`source <(${name} completion bash)\`, or save it in`,
    `# /etc/bash_completion.d/${name}. Generated from the command tree by \`${name} completion bash\`.`,
    `_${name}() {`,
    `  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path_="${name}" i`,
    `  for ((i = 1; i < COMP_CWORD; i++)); do`,
    `    case "$path_ \${COMP_WORDS[i]}" in`,
    `      ${pathPatterns(entries)}) path_="$path_ \${COMP_WORDS[i]}" ;;`,
    `    esac`,
    `  done`,
    `  local words=""`,
    `  case "$path_ $prev" in`,
    ...choiceOptions(entries).map((c) => `    "${c.key}") words="${c.choices.join(' ')}" ;;`),
    `    *)`,
    `      case "$path_" in`,
    ...entries.map((e) => `        "${e.path}") words="${wordsOf(e).join(' ')}" ;;`),
    `      esac ;;`,
    `  esac`,
    `  COMPREPLY=($(compgen -W "$words" -- "$cur"))`,
    `}`,
    `complete -o default -F _${name} ${name}`,
  ];
  return `${lines.join('\n')}\n`;
}

const zshQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export function zshCompletion(root: Command): string {
  const entries = commandEntries(root);
  const name = root.name();
  const described = (e: CommandEntry): string =>
    [
      ...e.subcommands.map((s) => zshQuote(`${s.name}:${s.description}`)),
      ...e.argumentChoices.map((c) => zshQuote(c)),
      ...e.options.map((o) => zshQuote(`${o.long}:${o.description.replace(/:/g, '\\:')}`)),
    ].join(' ');
  const lines = [
    `#compdef ${name}`,
    `# ${name} completion for zsh: \`source <(${name} completion zsh)\` after compinit, or save it as`,
    `# _${name} in a directory of $fpath. Generated from the command tree by \`${name} completion zsh\`.`,
    `_${name}() {`,
    `  local path_="${name}" i`,
    `  for ((i = 2; i < CURRENT; i++)); do`,
    `    case "$path_ \${words[i]}" in`,
    `      ${pathPatterns(entries)}) path_="$path_ \${words[i]}" ;;`,
    `    esac`,
    `  done`,
    `  local -a candidates`,
    `  case "$path_ \${words[CURRENT-1]}" in`,
    ...choiceOptions(entries).map((c) => `    "${c.key}") candidates=(${c.choices.map(zshQuote).join(' ')}) ;;`),
    `    *)`,
    `      case "$path_" in`,
    ...entries.map((e) => `        "${e.path}") candidates=(${described(e)}) ;;`),
    `      esac ;;`,
    `  esac`,
    `  _describe -t commands '${name}' candidates || _files`,
    `}`,
    `compdef _${name} ${name}`,
  ];
  return `${lines.join('\n')}\n`;
}

const fishQuote = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function fishCompletion(root: Command): string {
  const entries = commandEntries(root);
  const name = root.name();
  const at = (path: string): string => `-n ${fishQuote(`test (__${name}_path) = '${path}'`)}`;
  const lines = [
    `# ${name} completion for fish: \`${name} completion fish | source\`, or save it as`,
    `# ~/.config/fish/completions/${name}.fish. Generated from the command tree by \`${name} completion fish\`.`,
    `function __${name}_path`,
    `    set -l path_ ${name}`,
    `    set -l tokens (commandline -opc)`,
    `    set -e tokens[1]`,
    `    for w in $tokens`,
    `        switch "$path_ $w"`,
    `            case ${entries
      .slice(1)
      .map((e) => fishQuote(e.path))
      .join(' ')}`,
    `                set path_ "$path_ $w"`,
    `        end`,
    `    end`,
    `    echo $path_`,
    `end`,
    `complete -c ${name} -e`,
  ];
  for (const e of entries) {
    for (const s of e.subcommands) {
      lines.push(`complete -c ${name} ${at(e.path)} -f -a ${fishQuote(s.name)} -d ${fishQuote(s.description)}`);
    }
    for (const c of e.argumentChoices) lines.push(`complete -c ${name} ${at(e.path)} -f -a ${fishQuote(c)}`);
    for (const o of e.options) {
      const short = o.short ? ` -s ${o.short.replace(/^-/, '')}` : '';
      const value = o.choices?.length ? ` -x -a ${fishQuote(o.choices.join(' '))}` : o.takesValue ? ' -r' : '';
      lines.push(
        `complete -c ${name} ${at(e.path)} -l ${o.long.replace(/^--/, '')}${short}${value} -d ${fishQuote(o.description)}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
