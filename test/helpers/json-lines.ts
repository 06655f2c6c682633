/** The JSON lines `--json` prints while following a job (docs/cli.md): `status` lines, then a `summary`. */
import assert from 'node:assert/strict';

export interface JsonLine {
  message_type: string;
  [field: string]: unknown;
}

/** Every line of `out`, parsed; a line that is not JSON fails the test, naming it. */
export function jsonLines(out: string): JsonLine[] {
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as JsonLine;
      } catch {
        assert.fail(`not a JSON line: ${JSON.stringify(l)}`);
      }
    });
}

/** The `summary` that ends `out` (its last line), as the command's result type. */
export function summaryLine<T>(out: string): T & JsonLine {
  const lines = jsonLines(out);
  const last = lines[lines.length - 1];
  assert.equal(last?.message_type, 'summary', out);
  return last as T & JsonLine;
}
