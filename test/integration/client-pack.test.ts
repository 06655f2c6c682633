/**
 * The package as a user gets it: `npm pack --ignore-scripts` of the built checkout, installed into
 * an empty directory, and the examples type-checked against it with `tsc --noEmit`; a file that
 * misuses the client must fail to compile, naming the wrong argument. No network: npm cannot
 * resolve the dependencies offline (`npm install --offline <tgz>` stops with ENOTCACHED on the first
 * of them, here @napi-rs/blake-hash), so the tarball is extracted into node_modules/baton (what
 * `npm install <tgz>` puts there) and each of the checkout's installed dependencies is symlinked
 * beside it. The types therefore resolve exactly as in an installed package: from the pack's own
 * dist/ through its package.json `exports`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { secondNodeSkip } from '../helpers/first-node';
import { tempDir, type TempDir } from '../helpers/temp';

const ROOT = join(__dirname, '..', '..', '..');

function sh(cmd: string, args: string[], cwd: string): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Every `.d.ts` under `dir`, relative to the checkout. */
function declarations(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.d.ts'))
    .map((f) => relative(ROOT, join(dir, f)));
}

/** The user's project: node_modules/baton from the tarball, the dependencies beside it. */
function installInto(project: string, tarball: string): void {
  const modules = join(project, 'node_modules');
  mkdirSync(join(modules, 'baton'), { recursive: true });
  const untar = sh('tar', ['-xzf', tarball, '--strip-components=1', '-C', join(modules, 'baton')], project);
  assert.equal(untar.code, 0, untar.out);
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name === 'baton' || name === '.bin') continue;
    symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'uses-baton', private: true }));
  const compilerOptions = {
    target: 'ES2022',
    module: 'node16',
    moduleResolution: 'node16',
    strict: true,
    noEmit: true,
    types: ['node'],
    skipLibCheck: true,
  };
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['*.ts'] }));
}

/** `tsc --noEmit` in `project` on its *.ts, with the checkout's TypeScript. */
function typecheck(project: string): { code: number | null; out: string } {
  return sh(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], project);
}

/** Calls the client wrongly: a number for an app, a string for the list of paths. */
const MISUSE = [
  "import { BatonClient } from 'baton';",
  'export async function misuse(): Promise<void> {',
  '  const baton = await BatonClient.connect();',
  '  await baton.backup(42);',
  "  await baton.restore('sample-db', { target: '/tmp/x', paths: 'data' });",
  '}',
  '',
].join('\n');

describe('the packed package, installed into an empty directory', { timeout: 120_000, skip: secondNodeSkip() }, () => {
  let tmp: TempDir;
  let packed: string[];
  let examples: string[];
  /** One `tsc --noEmit` over the examples and misuse.ts (one run: tsc takes most of this test's time). */
  let checked: { code: number | null; out: string };

  before(() => {
    tmp = tempDir('baton-pack-');
    const pack = sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp.path], ROOT);
    assert.equal(pack.code, 0, pack.out);
    const [info] = JSON.parse(pack.out.slice(pack.out.indexOf('['))) as {
      filename: string;
      files: { path: string }[];
    }[];
    assert.ok(info);
    packed = info.files.map((f) => f.path);
    const project = join(tmp.path, 'project');
    installInto(project, join(tmp.path, info.filename));
    examples = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.ts'));
    for (const f of examples) copyFileSync(join(ROOT, 'examples', f), join(project, f));
    writeFileSync(join(project, 'misuse.ts'), MISUSE);
    checked = typecheck(project);
  });
  after(() => tmp?.cleanup());

  test('holds every declaration file of dist/src, the client entry among them, and no test files', () => {
    const wanted = declarations(join(ROOT, 'dist', 'src'));
    assert.ok(wanted.includes('dist/src/client/index.d.ts'));
    assert.deepEqual(
      wanted.filter((f) => !packed.includes(f)),
      [],
    );
    assert.deepEqual(
      packed.filter((f) => /(^|\/)test\//.test(f)),
      [],
    );
    assert.deepEqual(
      packed.filter((f) => f.startsWith('dist/examples/') || f.startsWith('dist/bench/')),
      [],
    );
  });

  test('the examples type-check against it', () => {
    assert.ok(examples.length >= 3, examples.join(', '));
    const errors = checked.out.split('\n').filter((l) => /error TS/.test(l));
    assert.ok(errors.length > 0, `misuse.ts compiled: ${checked.out}`);
    assert.deepEqual(
      errors.filter((l) => !l.startsWith('misuse.ts(')),
      [],
    );
  });

  test('a misuse of the client fails to compile, naming the wrong argument and option', () => {
    assert.equal(checked.code, 2, checked.out);
    assert.match(
      checked.out,
      /misuse\.ts\(4,22\): error TS2345: Argument of type 'number' is not assignable to parameter of type 'string'/,
    );
    assert.match(checked.out, /misuse\.ts\(5,56\): error TS2322: Type 'string' is not assignable to type 'string\[\]'/);
    assert.equal(checked.out.match(/error TS/g)?.length, 2, checked.out);
  });
});
