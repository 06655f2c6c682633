/**
 * Metadata beyond the basics: extended attributes and POSIX ACLs, fifos and devices (backed up and
 * restored), sockets (recorded, skipped at restore).
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, symlinkSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { getAttribute, listAttributes, setAttribute } from '@napi-rs/xattr';
import { backup } from '../../../src/engine/archiver';
import { loadTree, openSnapshotDrives, restore } from '../../../src/engine/restorer';
import { readSnapshot } from '../../../src/engine/snapshot';
import { decodeTree, encodeTree, splitDev } from '../../../src/engine/tree';
import type { TreeNode } from '../../../src/engine/tree';
import { applyXattrs } from '../../../src/engine/xattrs';
import { specialSkipReason } from '../../../src/engine/special-files';
import type { Drive } from '../../../src/engine/drive';
import { createDrive } from '../../helpers/engine';
import { compareTrees } from '../../helpers/tree';
import { tempDir } from '../../helpers/temp';

const isRoot = process.getuid?.() === 0;
const MAIN = join(__dirname, '../../../src/cli/repo-main.js');

/** Every xattr of `path` (not following a symlink), values in hex. */
async function xattrsOf(path: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await listAttributes(path)).sort()) {
    out[name] = ((await getAttribute(path, name)) ?? Buffer.alloc(0)).toString('hex');
  }
  return out;
}

function getfacl(path: string): string {
  return execFileSync('getfacl', ['--omit-header', '--absolute-names', '--numeric', path], { encoding: 'utf8' });
}

/** The snapshot's root tree nodes by name. */
async function rootNodes(drive: Drive, snapshotId: string): Promise<Map<string, TreeNode>> {
  const snap = await readSnapshot(drive, snapshotId);
  const { index } = await openSnapshotDrives(drive, snap);
  return new Map((await loadTree(index, snap.tree)).map((n) => [n.name, n]));
}

async function userXattrsWork(dir: string): Promise<boolean> {
  writeFileSync(`${dir}/probe`, '');
  try {
    await setAttribute(`${dir}/probe`, 'user.probe', 'x');
    return true;
  } catch {
    return false;
  }
}

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

void test('extended attributes (binary values) and POSIX ACLs round-trip', async (t: TestContext) => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    mkdirSync(src);
    if (!(await userXattrsWork(tmp.path))) return t.skip('the file system under the temp dir takes no user xattrs');
    assert.equal(spawnSync('setfacl', ['--version']).status, 0, 'setfacl missing: apt-get install acl');

    writeFileSync(`${src}/bin`, 'binary xattrs');
    await setAttribute(`${src}/bin`, 'user.all-bytes', ALL_BYTES);
    await setAttribute(`${src}/bin`, 'user.empty', Buffer.alloc(0));
    await setAttribute(`${src}/bin`, 'user.a-text', 'hello');
    writeFileSync(`${src}/acl`, 'acl');
    execFileSync('setfacl', ['-m', 'u:nobody:rw-,g:daemon:r--', `${src}/acl`]);
    mkdirSync(`${src}/dir`);
    execFileSync('setfacl', ['-m', 'u:nobody:r-x,d:u:nobody:rwx,d:g:daemon:r-x', `${src}/dir`]);
    writeFileSync(`${src}/dir/inherited`, 'gets the default ACL');
    await setAttribute(`${src}/dir`, 'user.on-dir', Buffer.from([0, 0, 1]));
    // read-only for its owner: the restorer must set user.* before it drops write permission
    writeFileSync(`${src}/readonly`, 'r');
    await setAttribute(`${src}/readonly`, 'user.x', 'y');
    chmodSync(`${src}/readonly`, 0o444);
    writeFileSync(`${src}/plain`, 'no xattrs');
    writeFileSync(Buffer.from(`${src}/latin-\xff`, 'latin1'), 'a name that is not UTF-8, no xattrs');
    // a symlink's own attributes (root may set trusted.* on one), never its target's
    symlinkSync('bin', `${src}/link`);
    if (isRoot) await setAttribute(`${src}/link`, 'trusted.on-link', 'L');
    const before = new Map<string, Record<string, string>>();
    for (const p of ['bin', 'acl', 'dir', 'dir/inherited', 'readonly', 'plain', 'link']) {
      before.set(p, await xattrsOf(`${src}/${p}`));
    }
    assert.ok(Object.keys(before.get('acl') ?? {}).includes('system.posix_acl_access'));
    assert.ok(Object.keys(before.get('dir') ?? {}).includes('system.posix_acl_default'));

    const drive = await createDrive(`${tmp.path}/drive`);
    const r = await backup({ drive, sources: src, cachePath: null });
    assert.equal(r.incomplete, false, JSON.stringify(r.errors.concat(r.warnings)));
    const nodes = await rootNodes(drive, r.snapshotId);
    assert.deepEqual(
      nodes.get('bin')?.xattrs?.map((x) => x.name),
      ['user.a-text', 'user.all-bytes', 'user.empty'],
      'sorted by name',
    );
    assert.equal(nodes.get('plain')?.xattrs, undefined, 'no field when a file has none');
    assert.equal(
      Buffer.from(nodes.get('bin')?.xattrs?.find((x) => x.name === 'user.all-bytes')?.value ?? '', 'base64').compare(
        ALL_BYTES,
      ),
      0,
    );
    assert.equal(nodes.get('link')?.xattrs?.[0]?.name, isRoot ? 'trusted.on-link' : undefined);

    const out = `${tmp.path}/out`;
    const res = await restore({ drive, snapshotId: r.snapshotId, target: out });
    assert.deepEqual(res.warnings, []);
    assert.deepEqual(compareTrees(src, out), []);
    for (const [p, x] of before) assert.deepEqual(await xattrsOf(`${out}/${p}`), x, p);
    for (const p of ['acl', 'dir', 'dir/inherited']) assert.equal(getfacl(`${out}/${p}`), getfacl(`${src}/${p}`), p);
    assert.match(getfacl(`${out}/dir`), /default:user:65534:rwx/);

    // the same tree gives the same tree ID again (xattrs in a fixed order)
    const r2 = await backup({ drive, sources: src, cachePath: null });
    assert.equal((await readSnapshot(drive, r2.snapshotId)).tree, (await readSnapshot(drive, r.snapshotId)).tree);

    if (isRoot) {
      // without CAP_SYS_ADMIN trusted.* cannot be set: a warning, the rest restored, exit 0
      const cli = spawnSync(
        'setpriv',
        [
          '--inh-caps=-sys_admin',
          '--bounding-set=-sys_admin',
          process.execPath,
          MAIN,
          'repo',
          'restore',
          '--drive',
          `${tmp.path}/drive`,
          r.snapshotId,
          '--target',
          `${tmp.path}/out-unprivileged`,
        ],
        { env: { ...process.env, BATON_PASSWORD: 'correct horse battery staple' }, encoding: 'utf8' },
      );
      assert.equal(cli.status, 0, cli.stderr);
      assert.match(cli.stderr, /warning: .*\/link: extended attribute trusted.on-link not restored: not permitted/);
      assert.deepEqual(await xattrsOf(`${tmp.path}/out-unprivileged/link`), {});
      assert.equal(getfacl(`${tmp.path}/out-unprivileged/dir`), getfacl(`${src}/dir`));
      assert.deepEqual(await xattrsOf(`${tmp.path}/out-unprivileged/bin`), before.get('bin'));
    }
  } finally {
    tmp.cleanup();
  }
});

void test('an attribute that cannot be set is a warning, not a failure', async (t: TestContext) => {
  const tmp = tempDir();
  try {
    if (!(await userXattrsWork(tmp.path))) return t.skip('the file system under the temp dir takes no user xattrs');
    writeFileSync(`${tmp.path}/f`, '');
    symlinkSync('f', `${tmp.path}/l`);
    const value = Buffer.from('v').toString('base64');
    const onFile = await applyXattrs(Buffer.from(`${tmp.path}/f`), [
      { name: 'bogus.namespace', value },
      { name: 'user.ok', value },
    ]);
    assert.deepEqual(onFile, [
      'extended attribute bogus.namespace not restored: not supported by the target file system',
    ]);
    assert.equal((await getAttribute(`${tmp.path}/f`, 'user.ok'))?.toString(), 'v');
    // Linux refuses user.* on a symlink (EPERM), as it refuses trusted.* without privileges
    const onLink = await applyXattrs(Buffer.from(`${tmp.path}/l`), [{ name: 'user.x', value }]);
    assert.deepEqual(onLink, ['extended attribute user.x not restored: not permitted for this user']);
    assert.equal(await getAttribute(`${tmp.path}/f`, 'user.x'), null, 'the target was not touched');
  } finally {
    tmp.cleanup();
  }
});

void test('fifos and (as root) devices are restored with type, mode, mtime and device number; sockets are skipped', async (t: TestContext) => {
  const tmp = tempDir();
  const server = createServer();
  try {
    const src = `${tmp.path}/src`;
    mkdirSync(src);
    execFileSync('mkfifo', ['-m', '640', `${src}/fifo`]);
    utimesSync(`${src}/fifo`, 1_600_000_000.25, 1_600_000_000.25);
    let devices = false;
    if (isRoot) {
      devices =
        spawnSync('mknod', ['-m', '620', `${src}/null-like`, 'c', '1', '3']).status === 0 &&
        spawnSync('mknod', ['-m', '660', `${src}/block`, 'b', '259', '1048575']).status === 0;
    }
    await new Promise<void>((resolve) => server.listen(`${src}/sock`, resolve));

    const drive = await createDrive(`${tmp.path}/drive`);
    const r = await backup({ drive, sources: src, cachePath: null });
    assert.equal(r.incomplete, false, JSON.stringify(r.errors.concat(r.warnings)));
    const nodes = await rootNodes(drive, r.snapshotId);
    assert.equal(nodes.get('fifo')?.type, 'fifo');
    assert.equal(nodes.get('sock')?.type, 'socket');
    if (devices) {
      assert.deepEqual(
        [nodes.get('block')?.type, nodes.get('block')?.rdevMajor, nodes.get('block')?.rdevMinor],
        ['block', 259, 1048575],
      );
    }

    const out = `${tmp.path}/out`;
    for (let round = 0; round < 2; round++) {
      // the second round restores over the first (as after an interrupted restore)
      const res = await restore({ drive, snapshotId: r.snapshotId, target: out });
      const fifo = lstatSync(`${out}/fifo`, { bigint: true });
      assert.ok(fifo.isFIFO());
      assert.equal(fifo.mode & 0o7777n, 0o640n);
      assert.equal(fifo.mtimeNs / 1000n, 1_600_000_000_250_000n);
      const skipped = res.skipped.map((s) => s.path.slice(out.length + 1));
      assert.deepEqual(skipped, ['sock']);
      assert.match(res.skipped[0].message, /socket not restored/);
      if (devices) {
        for (const name of ['null-like', 'block']) {
          const a = lstatSync(`${src}/${name}`, { bigint: true });
          const b = lstatSync(`${out}/${name}`, { bigint: true });
          assert.equal(b.isCharacterDevice(), a.isCharacterDevice(), name);
          assert.equal(b.isBlockDevice(), a.isBlockDevice(), name);
          assert.equal(b.rdev, a.rdev, name);
          assert.equal(b.mode, a.mode, name);
          assert.equal(b.mtimeNs / 1000n, a.mtimeNs / 1000n, name);
        }
      }
    }
    if (!devices) t.diagnostic('devices not tested: not root, or mknod not permitted here');

    if (devices) {
      // without CAP_MKNOD a device is a clear skipped entry, the rest is restored
      const cli = spawnSync(
        'setpriv',
        [
          '--inh-caps=-mknod',
          '--bounding-set=-mknod',
          process.execPath,
          MAIN,
          'repo',
          'restore',
          '--drive',
          `${tmp.path}/drive`,
          r.snapshotId,
          '--target',
          `${tmp.path}/out-nomknod`,
        ],
        { env: { ...process.env, BATON_PASSWORD: 'correct horse battery staple' }, encoding: 'utf8' },
      );
      assert.equal(cli.status, 0, cli.stderr);
      assert.match(cli.stderr, /skipped: .*\/null-like: device node not restored: mknod: .*Operation not permitted/);
      assert.ok(lstatSync(`${tmp.path}/out-nomknod/fifo`).isFIFO());
    }
  } finally {
    server.close();
    tmp.cleanup();
  }
});

void test('special nodes: which are skipped and why; device numbers; tree key order', () => {
  const node = (type: TreeNode['type'], dev = true): TreeNode => ({
    name: 'x',
    type,
    mode: 0o600,
    uid: 0,
    gid: 0,
    mtimeNs: '0',
    ...(dev ? { rdevMajor: 1, rdevMinor: 3 } : {}),
  });
  assert.equal(specialSkipReason(node('fifo', false), false), null);
  assert.equal(specialSkipReason(node('char'), true), null);
  assert.match(specialSkipReason(node('char'), false) ?? '', /needs root/);
  assert.match(specialSkipReason(node('block', false), true) ?? '', /without a device number/);
  assert.match(specialSkipReason(node('socket'), true) ?? '', /socket not restored/);
  assert.match(specialSkipReason(node('other'), true) ?? '', /older Baton/);

  // glibc's makedev encoding: 12+20 bits of major, 8+24 bits of minor
  const makedev = (ma: bigint, mi: bigint): bigint =>
    ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
  assert.deepEqual(splitDev(makedev(1n, 3n)), { major: 1, minor: 3 });
  assert.equal(makedev(1n, 3n), 259n);
  assert.deepEqual(splitDev(makedev(4095n + 4096n * 7n, 0xabcdefn)), { major: 4095 + 4096 * 7, minor: 0xabcdef });

  // keys come out in the documented order, however a node was built, and nothing is dropped
  const n: TreeNode = {
    xattrs: [{ value: 'AA==', name: 'user.a' }],
    subtree: 'ab'.repeat(32),
    name: 'n',
    type: 'dir',
    mode: 1,
    uid: 2,
    gid: 3,
    mtimeNs: '4',
  };
  const text = encodeTree([n]).toString();
  assert.equal(
    text,
    `{"nodes":[{"name":"n","type":"dir","mode":1,"uid":2,"gid":3,"mtimeNs":"4","subtree":"${'ab'.repeat(32)}","xattrs":[{"name":"user.a","value":"AA=="}]}]}`,
  );
  assert.deepEqual(decodeTree(Buffer.from(text), 't').nodes[0], n);
});
