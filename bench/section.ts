/**
 * One benchmark's section of docs/benchmarks.md, between `<!-- name:begin -->` and
 * `<!-- name:end -->`, so each benchmark rewrites only its own figures. Pure.
 */

/** Replaces the text between the section's markers (markers kept), or appends a marked section. */
export function spliceNamedSection(file: string, name: string, section: string): string {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${begin}\n${section.trim()}\n${end}`;
  const start = file.indexOf(begin);
  const stop = file.indexOf(end);
  if (start !== -1 && stop > start) return file.slice(0, start) + block + file.slice(stop + end.length);
  const base = file.trim() === '' ? '# Benchmarks\n' : file.replace(/\s*$/, '\n');
  return `${base}\n${block}\n`;
}
