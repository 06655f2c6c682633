/**
 * Restore's root-safe options: noDevices skips device nodes, noSetuid strips setuid and setgid bits
 * (counted); without them (the default, as tar does) both come back as they were.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { backup } from '../../../src/engine/archiver';
import { restore } from '../../../src/engine/restorer';
import { createDrive } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

void test('noDevices skips device nodes and noSetuid strips setuid/setgid, with counts', async (t: TestContext) => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    mkdirSync(`${src}/shared`, { recursive: true });
    writeFileSync(`${src}/tool`, '#!/bin/sh\n');
    chmodSync(`${src}/tool`, 0o4755);
    writeFileSync(`${src}/group-tool`, '#!/bin/sh\n');
    chmodSync(`${src}/group-tool`, 0o2755);
    chmodSync(`${src}/shared`, 0o2775);
    writeFileSync(`${src}/plain`, 'x');
    const devices = process.getuid?.() === 0 && spawnSync('mknod', [`${src}/null-like`, 'c', '1', '3']).status === 0;
    const drive = await createDrive(`${tmp.path}/drive`);
    const r = await backup({ drive, sources: src, cachePath: null });
    assert.equal(r.incomplete, false);

    const kept = await restore({ drive, snapshotId: r.snapshotId, target: `${tmp.path}/kept` });
    assert.equal(kept.setuidStripped, undefined);
    const mode = (p: string): number => lstatSync(p).mode & 0o7777;
    assert.equal(mode(`${tmp.path}/kept/tool`), 0o4755);
    assert.equal(mode(`${tmp.path}/kept/group-tool`), 0o2755);
    assert.equal(mode(`${tmp.path}/kept/shared`), 0o2775);
    if (devices) assert.ok(lstatSync(`${tmp.path}/kept/null-like`).isCharacterDevice());

    const out = `${tmp.path}/safe`;
    const safe = await restore({ drive, snapshotId: r.snapshotId, target: out, noDevices: true, noSetuid: true });
    assert.equal(safe.setuidStripped, 3);
    assert.equal(mode(`${out}/tool`), 0o755);
    assert.equal(mode(`${out}/group-tool`), 0o755);
    assert.equal(mode(`${out}/shared`), 0o775);
    assert.equal(mode(`${out}/plain`), mode(`${src}/plain`));
    if (devices) {
      assert.deepEqual(safe.skipped, [{ path: `${out}/null-like`, message: 'device node not restored: --no-devices' }]);
      assert.throws(() => lstatSync(`${out}/null-like`), /ENOENT/);
    } else {
      t.diagnostic('devices not tested: not root, or mknod not permitted here');
    }
  } finally {
    tmp.cleanup();
  }
});
