/**
 * The failover benchmark's section of docs/benchmarks.md: figures to Markdown, and the section
 * spliced between its markers so the file's other sections stay as they are. Pure.
 */

export const BEGIN = '<!-- failover:begin -->';
export const END = '<!-- failover:end -->';

/** Replaces the text between the markers (markers kept), or appends a marked section. */
export function spliceSection(file: string, section: string): string {
  const block = `${BEGIN}\n${section.trim()}\n${END}`;
  const start = file.indexOf(BEGIN);
  const end = file.indexOf(END);
  if (start !== -1 && end > start) return file.slice(0, start) + block + file.slice(end + END.length);
  const base = file.trim() === '' ? '# Benchmarks\n' : file.replace(/\s*$/, '\n');
  return `${base}\n${block}\n`;
}

export interface Figure {
  what: string;
  unit: 's' | 'bytes';
  values: number[];
  goal: string;
  /** Whether each measured value meets the goal. */
  met: boolean;
}

export const fmtValue = (v: number, unit: Figure['unit']): string =>
  unit === 's' ? `${v.toFixed(1)} s` : `${v} B (${(v / 1048576).toFixed(1)} MiB)`;

export function figureTable(figures: { figure: Figure; median: number; max: number }[]): string {
  const rows = figures.map(
    ({ figure: f, median, max }) =>
      `| ${f.what} | ${f.values.length} | ${fmtValue(median, f.unit)} | ${fmtValue(max, f.unit)} | ${f.goal} | ${f.met ? 'yes' : 'NO'} |`,
  );
  return ['| measure | runs | median | max | goal | goal met (max) |', '|---|---|---|---|---|---|', ...rows].join('\n');
}
