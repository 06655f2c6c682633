import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BEGIN, END, figureTable, runTable, spliceSection } from '../../../bench/failover/markdown';

test('the failover section replaces only the text between its markers', () => {
  const file = `# Benchmarks\n\n## Other\nkeep me\n\n${BEGIN}\nold\n${END}\n\n## After\nkeep me too\n`;
  const out = spliceSection(file, '## Failover\nnew');
  assert.equal(
    out,
    `# Benchmarks\n\n## Other\nkeep me\n\n${BEGIN}\n## Failover\nnew\n${END}\n\n## After\nkeep me too\n`,
  );
});

test('a file without the markers gets the section appended; an empty one gets a title', () => {
  assert.equal(spliceSection('', 'x'), `# Benchmarks\n\n${BEGIN}\nx\n${END}\n`);
  assert.equal(spliceSection('# B\n\ntext\n\n', 'x'), `# B\n\ntext\n\n${BEGIN}\nx\n${END}\n`);
});

test('figure rows show median, max and whether the goal was met', () => {
  const table = figureTable([
    { figure: { what: 'm', unit: 's', values: [1, 2, 3], goal: '<= 10 s', met: true }, median: 2, max: 3 },
    { figure: { what: 'b', unit: 'bytes', values: [1048576], goal: 'g', met: false }, median: 1048576, max: 1048576 },
  ]);
  assert.match(table, /\| m \| 3 \| 2\.0 s \| 3\.0 s \| <= 10 s \| yes \|/);
  assert.match(table, /\| b \| 1 \| 1048576 B \(1\.0 MiB\) \| 1048576 B \(1\.0 MiB\) \| g \| NO \|/);
});

test('every run is listed with n/a for a timing that never came', () => {
  const table = runTable([
    {
      scenario: 'coordinator-failover',
      run: 2,
      ok: true,
      attempts: 'node-1: succeeded',
      detection: 13.76,
      reroute: null,
      writing: null,
      resumed: 4.04,
      reread: 0,
      note: 'job ended first',
    },
  ]);
  assert.match(
    table,
    /\| coordinator-failover \| 2 \| yes \| node-1: succeeded \| 13\.8 \| n\/a \| n\/a \| 4\.0 \| 0 \| job ended first \|/,
  );
});
