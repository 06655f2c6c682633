/**
 * The Dockerfile, checked without a Docker engine (this machine has none): test/helpers/dockerfile.ts
 * carries out its build and runtime stages in a temp dir standing in for the images' roots (one
 * `npm ci`, then better-sqlite3's SQLite compiled from source: 16 min on a shared 2-core machine),
 * with this machine's Node standing in for the image's. Then the runtime stage, as its own non-root user and with nothing of the checkout on its module path: loads every
 * native module, runs `baton --help`, backs a tree up and restores it with `baton repo`, and runs
 * `baton node` on deploy/baton.yaml against a real dev server until SIGTERM stops it.
 * BATON_TEST_DOCKERFILE checks another Dockerfile against this checkout (e.g. main's).
 * BATON_TEST_DOCKERFILE_CHECK=0 skips this file: CI runs it once, in its Node 24 pass, the Node the
 * image runs (docs/development.md).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  chmodSync,
  mkdirSync,
  chownSync,
  readFileSync,
  readdirSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDevServer, type DevServer } from '../../src/devtools/dev-server';
import { buildDockerfile, startContainer, type BuiltStage } from '../helpers/dockerfile';
import { generateAppData } from '../../src/demo/demo-files';
import { compareTrees } from '../helpers/tree';
import { tempDir } from '../helpers/temp';
import { summaryLine } from '../helpers/json-lines';

const checkout = resolve(__dirname, '..', '..', '..');
const dockerfile = process.env.BATON_TEST_DOCKERFILE ?? join(checkout, 'Dockerfile');
const PASSWORD = 'image test passphrase';

interface Run {
  code: number | null;
  out: string;
  err: string;
}

const skip = process.env.BATON_TEST_DOCKERFILE_CHECK === '0' ? 'BATON_TEST_DOCKERFILE_CHECK=0' : false;

describe('the Dockerfile, carried out without a Docker engine', { timeout: 45 * 60_000, skip }, () => {
  const dir = tempDir('baton-image-').path;
  let image: BuiltStage;
  let home: string;
  let server: DevServer | undefined;

  before(() => {
    chmodSync(dir, 0o755); // the image's user must reach its root
    const stages = buildDockerfile(dockerfile, checkout, join(dir, 'stages'), process.env);
    image = stages.at(-1)!;
    home = join(image.root, 'home', 'baton');
    mkdirSync(home, { recursive: true });
    chownSync(home, image.user.uid, image.user.gid);
  });
  after(async () => {
    await server?.stop();
  });

  /** Runs a container of the image to its end (`args` replace its CMD; `entrypoint` its ENTRYPOINT). */
  function run(args: string[], opts: { entrypoint?: string[]; env?: Record<string, string> } = {}): Promise<Run> {
    const stage = opts.entrypoint ? { ...image, entrypoint: opts.entrypoint } : image;
    const child = startContainer(stage, args, { home, env: opts.env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    return new Promise((r) => child.on('exit', (code) => r({ code, out, err })));
  }

  test('the image runs as a user that is not root', () => {
    assert.notEqual(image.user.uid, 0, 'the runtime stage has no USER, or USER is root');
  });

  test('baton --help runs from the image', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\bnode\b.*\n/);
  });

  test("every native module loads: allowScripts' production packages and native/aes-gcm", async () => {
    const pkg = JSON.parse(readFileSync(join(checkout, 'package.json'), 'utf8')) as {
      allowScripts: Record<string, boolean>;
      dependencies: Record<string, string>;
    };
    const app = join(image.root, image.workdir);
    const modules = Object.keys(pkg.allowScripts)
      .filter((name) => name in pkg.dependencies)
      .map((name) => {
        const release = join(app, 'node_modules', name, 'build', 'Release');
        const found = existsSync(release) ? readdirSync(release).filter((f) => f.endsWith('.node')) : [];
        assert.ok(found.length > 0, `${name}: no native module built in the image (${release})`);
        return join(image.workdir, 'node_modules', name, 'build', 'Release', found[0]);
      });
    for (const own of ['aes_gcm.node', 'copy_bytes.node', 'file_times.node', 'scrypt_romix.node', 'stat_batch.node']) {
      modules.push(join(image.workdir, 'native', 'aes-gcm', 'build', 'Release', own));
    }
    const code = `for (const m of ${JSON.stringify(modules.map((m) => image.root + m))}) require(m);`;
    const r = await run(['-e', code], { entrypoint: ['node'] });
    assert.equal(r.code, 0, r.err);
  });

  test('baton repo backs a tree up and restores it byte for byte, as the image user', async () => {
    const san = join(image.root, 'san');
    const data = join(san, 'apps', 'orders-db');
    generateAppData(data, 40, 32);
    // the app's data belongs to the image's user (who restores it as its own)
    assert.equal(spawnSync('chown', ['-R', `${image.user.uid}:${image.user.gid}`, data]).status, 0);
    const env = { BATON_PASSWORD: PASSWORD };
    const init = await run(['repo', 'init', '--drive', '/san/drives/d1'], { env });
    assert.equal(init.code, 0, init.err);
    const backup = await run(['repo', 'backup', '--drive', '/san/drives/d1', '--json', '/san/apps/orders-db'], { env });
    assert.equal(backup.code, 0, backup.err);
    const id = summaryLine<{ snapshot?: string }>(backup.out).snapshot;
    assert.ok(id, backup.out);
    const restore = await run(['repo', 'restore', '--drive', '/san/drives/d1', id, '--target', '/san/restored'], {
      env,
    });
    assert.equal(restore.code, 0, restore.err);
    assert.deepEqual(compareTrees(data, join(san, 'restored')), []);
  });

  test('baton node runs deploy/baton.yaml against a dev server and stops on SIGTERM', async () => {
    server = await startDevServer({ dataDir: join(dir, 'temporal'), headless: true });
    // What docker-compose.yml mounts and san-init lays out, here inside the image's root.
    const config = readFileSync(join(checkout, 'deploy', 'baton.yaml'), 'utf8')
      .replace(/address: .*/, `address: ${server.address}`)
      .replace(/url: postgres:.*/, `url: sqlite:${image.root}/san/catalog.db`)
      .replaceAll(/(?<=[\s[])\/(san|run)\//g, `${image.root}/$1/`);
    mkdirSync(join(image.root, 'etc', 'baton'), { recursive: true });
    writeFileSync(join(image.root, 'etc', 'baton', 'baton.yaml'), config);
    mkdirSync(join(image.root, 'run', 'secrets'), { recursive: true });
    writeFileSync(join(image.root, 'run', 'secrets', 'baton-password'), PASSWORD);
    copyFileSync(join(checkout, 'deploy', 'cluster-map.json'), join(image.root, 'san', 'cluster-map.json'));
    const child = startContainer(image, undefined, { home });
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const ready = new Promise<void>((r) =>
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('"node ready"')) r();
      }),
    );
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const first = await Promise.race([ready.then(() => 'ready'), exited.then((c) => `exited ${c}`)]);
    assert.equal(first, 'ready', out);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, out);
  });
});
