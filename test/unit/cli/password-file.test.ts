/** A passphrase file gives its text with one trailing newline dropped, whoever reads it. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readPasswordFile } from '../../../src/cli/password-file';
import { tempDir } from '../../helpers/temp';

test('one trailing newline (LF or CRLF) is dropped; anything else is the passphrase', (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const cases: [string, string][] = [
    ['secret\n', 'secret'],
    ['secret\r\n', 'secret'],
    ['secret', 'secret'],
    ['secret\n\n', 'secret\n'],
    [' two words \n', ' two words '],
  ];
  cases.forEach(([text, want], i) => {
    const file = join(tmp.path, `p${i}`);
    writeFileSync(file, text);
    assert.equal(readPasswordFile(file), want, JSON.stringify(text));
  });
  assert.throws(() => readPasswordFile(join(tmp.path, 'none')), { code: 'ENOENT' });
});
