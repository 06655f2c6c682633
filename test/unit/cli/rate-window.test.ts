/** The smoothed rate behind the CLI's ETA: the last window's bytes, not the average since the start. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateWindow } from '../../../src/cli/rate-window';

test('the rate is the window’s, so a job that slowed down shows its new rate', () => {
  const w = new RateWindow(10_000);
  // 100 s at 1000 B/s, then 20 s at 100 B/s: the average since the start would be 850 B/s
  let bytes = 0;
  for (let t = 0; t <= 100_000; t += 1000) w.add(t, (bytes = t));
  assert.equal(w.rate(), 1000);
  for (let t = 101_000; t <= 120_000; t += 1000) w.add(t, (bytes += 100));
  assert.equal(w.rate(), 100);
});

test('no rate before the samples span a second; fewer bytes than before start over', () => {
  const w = new RateWindow(10_000);
  assert.equal(w.rate(), null);
  w.add(0, 0);
  w.add(500, 500);
  assert.equal(w.rate(), null);
  w.add(1000, 2000);
  assert.equal(w.rate(), 2000);
  w.add(2000, 10); // a fresh restart counts from zero again
  assert.equal(w.rate(), null);
  w.add(4000, 410);
  assert.equal(w.rate(), 200);
});

test('samples closer than the gap replace the last one, so per-file updates keep the window short', () => {
  const w = new RateWindow(10_000, 1000, 200);
  for (let t = 0; t <= 10_000; t += 10) w.add(t, t * 3);
  assert.equal(w.rate(), 3000);
  // about one sample per 200 ms of the window, not one per update (1001 of them)
  const kept = (w as unknown as { samples: unknown[] }).samples.length;
  assert.ok(kept >= 45 && kept <= 60, `${kept} samples kept`);
});
