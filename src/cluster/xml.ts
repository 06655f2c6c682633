/**
 * A small, dependency-free XML reader: enough for the machine-written XML of Pacemaker's tools
 * (elements, attributes, text, comments, CDATA, processing instructions, the five named entities and
 * numeric character references). No namespaces, no DTD entities. Throws XmlParseError on bad input.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside this element (not its children's). */
  text: string;
}

export class XmlParseError extends Error {
  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = 'XmlParseError';
  }
}

const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const ATTR = /\s*([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/y;

/** Replaces entity and character references in text or an attribute value. */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return NAMED_ENTITIES[ref] ?? whole;
  });
}

/** Parses a whole document and returns its root element. */
export function parseXml(source: string): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = 0;

  const skipPast = (terminator: string, what: string): void => {
    const end = source.indexOf(terminator, i);
    if (end < 0) throw new XmlParseError(`unterminated ${what}`, i);
    i = end + terminator.length;
  };

  while (i < source.length) {
    const lt = source.indexOf('<', i);
    const textEnd = lt < 0 ? source.length : lt;
    if (textEnd > i) {
      const text = source.slice(i, textEnd);
      const top = stack[stack.length - 1];
      if (top) top.text += decodeEntities(text);
      else if (text.trim() !== '') throw new XmlParseError('text outside the root element', i);
      i = textEnd;
      continue;
    }
    if (source.startsWith('<!--', i)) {
      skipPast('-->', 'comment');
    } else if (source.startsWith('<![CDATA[', i)) {
      const start = i + 9;
      skipPast(']]>', 'CDATA section');
      const top = stack[stack.length - 1];
      if (!top) throw new XmlParseError('CDATA outside the root element', start);
      top.text += source.slice(start, i - 3);
    } else if (source.startsWith('<?', i)) {
      skipPast('?>', 'processing instruction');
    } else if (source.startsWith('<!', i)) {
      skipPast('>', 'declaration');
    } else if (source.startsWith('</', i)) {
      NAME.lastIndex = i + 2;
      const m = NAME.exec(source);
      const top = stack.pop();
      if (!m || !top || top.name !== m[0]) {
        throw new XmlParseError(`closing tag </${m?.[0] ?? '?'}> does not match <${top?.name ?? 'nothing'}>`, i);
      }
      i = NAME.lastIndex;
      skipPast('>', 'closing tag');
    } else {
      i = readStartTag(i + 1);
    }
  }
  if (stack.length > 0) throw new XmlParseError(`element <${stack[stack.length - 1]?.name}> is not closed`, i);
  if (!root) throw new XmlParseError('no root element', 0);
  return root;

  function readStartTag(at: number): number {
    NAME.lastIndex = at;
    const m = NAME.exec(source);
    if (!m) throw new XmlParseError('expected an element name', at);
    const el: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
    let j = NAME.lastIndex;
    for (;;) {
      ATTR.lastIndex = j;
      const a = ATTR.exec(source);
      if (!a) break;
      el.attrs[a[1]] = decodeEntities(a[2] ?? a[3] ?? '');
      j = ATTR.lastIndex;
    }
    while (j < source.length && /\s/.test(source[j])) j++;
    const selfClosing = source.startsWith('/>', j);
    if (!selfClosing && source[j] !== '>') throw new XmlParseError(`malformed start tag <${el.name}>`, j);
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else if (root) throw new XmlParseError(`second root element <${el.name}>`, at);
    else root = el;
    if (!selfClosing) stack.push(el);
    return j + (selfClosing ? 2 : 1);
  }
}

/** The direct children of `el` named `name`. */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/** The first direct child of `el` named `name`, if any. */
export function childNamed(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}
