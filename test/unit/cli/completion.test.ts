/**
 * Shell completion generated from the program tree: every command appears in each script, and the
 * scripts really complete in their shells (bash with COMP_WORDS and compgen, fish with
 * `complete -C`; zsh's script is checked by `zsh -n`, its completion system needs a terminal).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Command } from 'commander';
import { bashCompletion, commandEntries, fishCompletion, zshCompletion } from '../../../src/cli/completion';
import { program } from '../../../src/cli/main';
import { tempDir } from '../../helpers/temp';

/** Every command path of the tree, from commander itself. */
function paths(c: Command, prefix = ''): string[] {
  const path = prefix ? `${prefix} ${c.name()}` : c.name();
  return [path, ...c.commands.flatMap((s) => paths(s, path))];
}

const scripts = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion };

test('every subcommand and every option of the tree appears in each shell’s script', () => {
  const root = program();
  const all = paths(root);
  assert.ok(all.includes('baton repo backup') && all.includes('baton completion'), all.join(', '));
  assert.deepEqual(
    commandEntries(root).map((e) => e.path),
    all,
  );
  for (const [shell, generate] of Object.entries(scripts)) {
    const script = generate(root);
    for (const path of all.slice(1))
      assert.ok(script.includes(`'${path}'`) || script.includes(`"${path}"`), `${shell}: ${path}`);
    for (const c of root.commands.flatMap((c) => [c, ...c.commands])) {
      for (const o of c.options) {
        const flag = shell === 'fish' ? `-l ${o.long?.slice(2)} ` : (o.long ?? '');
        assert.ok(script.includes(flag), `${shell}: ${c.name()} ${o.long}`);
      }
    }
  }
});

/** What bash's completion offers for `words` (the last one being completed). */
function bashComplete(script: string, words: string[]): string[] {
  const dir = tempDir();
  try {
    const file = join(dir.path, 'baton.bash');
    writeFileSync(file, script);
    const quoted = words.map((w) => `'${w}'`).join(' ');
    const r = spawnSync(
      'bash',
      [
        '-c',
        `source ${file}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _baton; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean);
  } finally {
    dir.cleanup();
  }
}

test('bash: `baton re` offers restore, the restore tests, retention and repo, `baton repo ` its subcommands, `--kind ` its choices', () => {
  const script = bashCompletion(program());
  assert.deepEqual(bashComplete(script, ['baton', 're']), [
    'restore',
    'restore-test',
    'restore-tests',
    'retention',
    'repo',
  ]);
  assert.deepEqual(bashComplete(script, ['baton', 'restore-test', '']).slice(0, 1), ['run']);
  assert.ok(bashComplete(script, ['baton', 'restore-test', 'run', '--']).includes('--sample'));
  assert.deepEqual(bashComplete(script, ['baton', 'repo', '']).slice(0, 7), [
    'init',
    'backup',
    'snapshots',
    'restore',
    'verify',
    'forget',
    'prune',
  ]);
  assert.deepEqual(bashComplete(script, ['baton', 'repo', 'init', '--dr']), ['--drive']);
  assert.deepEqual(bashComplete(script, ['baton', 'repo', 'init', '--kind', '']), ['directory', 'tape']);
  assert.deepEqual(bashComplete(script, ['baton', 'backup', '--w']), ['--wait']);
  assert.deepEqual(bashComplete(script, ['baton', 'completion', '']).slice(0, 3), ['bash', 'zsh', 'fish']);
  // an option's value does not move the path: `baton backup --config x.yaml --` still offers backup's options
  assert.ok(bashComplete(script, ['baton', 'backup', '--config', 'x.yaml', '--']).includes('--full'));
});

test('fish: `complete -C` offers the same, with descriptions', () => {
  const dir = tempDir();
  try {
    const file = join(dir.path, 'baton.fish');
    writeFileSync(file, fishCompletion(program()));
    const complete = (line: string): string[] => {
      const r = spawnSync('fish', ['--no-config', '-c', `source ${file}; complete -C '${line}'`], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.split('\n').filter(Boolean);
    };
    const re = complete('baton re');
    assert.deepEqual(
      re.map((l) => l.split('\t')[0]),
      ['repo', 'restore', 'restore-test', 'restore-tests', 'retention'],
    );
    assert.match(re[1], /^restore\trestore an app's snapshot/);
    assert.ok(complete('baton repo ').some((l) => l.startsWith('prune\t')));
    assert.deepEqual(
      complete('baton repo init --kind ').map((l) => l.split('\t')[0]),
      ['directory', 'tape'],
    );
    assert.ok(complete('baton backup --').some((l) => l.startsWith('--wait\t')));
  } finally {
    dir.cleanup();
  }
});

test('zsh: the script parses and registers _baton for baton', () => {
  const dir = tempDir();
  try {
    const file = join(dir.path, '_baton');
    const script = zshCompletion(program());
    writeFileSync(file, script);
    const r = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(script, /^#compdef baton\n/);
    assert.match(
      script,
      /"baton repo"\) candidates=\('init:initialise a drive; it records its kind and format version'/,
    );
    assert.match(script, /\ncompdef _baton baton\n$/);
  } finally {
    dir.cleanup();
  }
});
