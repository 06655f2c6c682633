import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { Drive } from '../../../src/engine/drive';
import { FORMAT_VERSION } from '../../../src/engine/config';
import { createDrive } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

void test('a drive with a newer or older format version is refused before anything is read', async () => {
  const tmp = tempDir();
  try {
    await createDrive(`${tmp.path}/d`);
    const cfg = JSON.parse(readFileSync(`${tmp.path}/d/config`, 'utf8')) as { version: number };
    const setVersion = (v: number): void =>
      writeFileSync(`${tmp.path}/d/config`, JSON.stringify({ ...cfg, version: v }));
    setVersion(FORMAT_VERSION + 1);
    await assert.rejects(
      Drive.open(`${tmp.path}/d`, { password: 'x' }),
      new RegExp(
        `uses repository format version ${FORMAT_VERSION + 1}, this baton reads versions 2, 3, 4, 5 and ${FORMAT_VERSION} only; use a baton release`,
      ),
    );
    setVersion(1);
    await assert.rejects(
      Drive.open(`${tmp.path}/d`, { password: 'x' }),
      /uses repository format version 1, this baton reads versions 2, 3, 4, 5 and 6 only; it was made by an earlier baton: restore from it with that release/,
    );
  } finally {
    tmp.cleanup();
  }
});
