import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseXml, XmlParseError } from '../../../src/cluster/xml.js';

void test('parses elements, attributes, text, entities, comments and CDATA', () => {
  const root = parseXml(
    `<?xml version="1.0"?>\n<!-- hi --><a x="1" y='&lt;2&gt;'><b/>t&amp;u<![CDATA[<raw>]]><c z="&#65;&#x42;">in</c></a>\n`,
  );
  assert.equal(root.name, 'a');
  assert.deepEqual(root.attrs, { x: '1', y: '<2>' });
  assert.deepEqual(
    root.children.map((c) => c.name),
    ['b', 'c'],
  );
  assert.equal(root.text, 't&u<raw>');
  assert.deepEqual(root.children[1]?.attrs, { z: 'AB' });
  assert.equal(root.children[1]?.text, 'in');
});

void test('rejects malformed documents with the offset', () => {
  for (const bad of ['<a><b></a>', '<a>', '', '<a/><b/>', 'x<a/>', '<a x=1/>', '<a><!-- open']) {
    assert.throws(() => parseXml(bad), XmlParseError, bad);
  }
});
