/**
 * The failover benchmark's section of docs/benchmarks.md: figures to Markdown, and the section
 * spliced between its markers so the file's other sections stay as they are. Pure.
 */

import { spliceNamedSection } from '../section';

export const BEGIN = '<!-- failover:begin -->';
export const END = '<!-- failover:end -->';

/** Replaces the text between the markers (markers kept), or appends a marked section. */
export function spliceSection(file: string, section: string): string {
  return spliceNamedSection(file, 'failover', section);
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

/** A plain table of per-scenario timings: median and max, no goal. */
export function timingTable(rows: { what: string; values: number[]; median: number; max: number }[]): string {
  return [
    '| timing | runs | median | max |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.what} | ${r.values.length} | ${r.median.toFixed(1)} s | ${r.max.toFixed(1)} s |`),
  ].join('\n');
}

export interface RunRow {
  scenario: string;
  run: number;
  ok: boolean;
  attempts: string;
  detection: number | null;
  reroute: number | null;
  writing: number | null;
  resumed: number | null;
  reread: number;
  note: string;
}

/** Every run as measured, so a reader can see the outliers behind a max. */
export function runTable(rows: RunRow[]): string {
  const s = (v: number | null) => (v === null ? 'n/a' : v.toFixed(1));
  return [
    '| scenario | run | passed | attempts (node: outcome) | detection s | reroute s | writing again s | first checkpoint s | re-read B | note |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.run} | ${r.ok ? 'yes' : 'NO'} | ${r.attempts} | ${s(r.detection)} | ${s(r.reroute)} | ${s(r.writing)} | ${s(r.resumed)} | ${r.reread} | ${r.note} |`,
    ),
  ].join('\n');
}
