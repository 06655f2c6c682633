/**
 * `baton check`'s verdict, Nagios style: one status line with perfdata and an exit code (0 OK,
 * 1 WARNING, 2 CRITICAL, 3 UNKNOWN). Per app: no successful backup, or one older than the
 * allowed age, is CRITICAL; a latest backup that failed (a fresh older one still there) is WARNING.
 */
import type { AppBackupTimes } from '../catalog/backup-health';

export const CHECK_CODES = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;
export type CheckStatus = keyof typeof CHECK_CODES;

export interface CheckVerdict {
  status: CheckStatus;
  code: number;
  line: string;
}

/** 93784 -> "1d 2h 3m"; under a minute: "45s". */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : ''].filter(Boolean).join(' ');
}

export function unknown(message: string): CheckVerdict {
  return { status: 'UNKNOWN', code: CHECK_CODES.UNKNOWN, line: `BATON UNKNOWN - ${message}` };
}

interface AppVerdict {
  app: string;
  status: CheckStatus;
  text: string;
  perf: string;
}

function appVerdict(app: string, t: AppBackupTimes | undefined, nowMs: number, maxAgeSeconds: number): AppVerdict {
  const limits = `;;${maxAgeSeconds};0;`;
  if (!t?.lastSuccess) {
    const failed = t?.lastFailure ? ', latest one failed' : '';
    return { app, status: 'CRITICAL', text: `${app} never backed up${failed}`, perf: `'${app}_age'=U${limits}` };
  }
  const age = Math.max(0, Math.round((nowMs - Date.parse(t.lastSuccess)) / 1000));
  const perf = `'${app}_age'=${age}s${limits}`;
  if (age > maxAgeSeconds) {
    return {
      app,
      status: 'CRITICAL',
      text: `${app} last backed up ${formatAge(age)} ago (max ${formatAge(maxAgeSeconds)})`,
      perf,
    };
  }
  if (t.lastFailure && t.lastFailure > t.lastSuccess) {
    return { app, status: 'WARNING', text: `${app} latest backup failed (last success ${formatAge(age)} ago)`, perf };
  }
  return { app, status: 'OK', text: `${app} backed up ${formatAge(age)} ago`, perf };
}

/** The verdict over `apps`: the worst app's status; the line names the apps not OK first. */
export function checkBackups(input: {
  apps: string[];
  times: AppBackupTimes[];
  nowMs: number;
  maxAgeSeconds: number;
}): CheckVerdict {
  if (input.apps.length === 0) return unknown('no apps to check in the config');
  const byApp = new Map(input.times.map((t) => [t.app, t]));
  const verdicts = input.apps.map((app) => appVerdict(app, byApp.get(app), input.nowMs, input.maxAgeSeconds));
  const worst = verdicts.reduce<CheckStatus>((w, v) => (CHECK_CODES[v.status] > CHECK_CODES[w] ? v.status : w), 'OK');
  const ordered = [...verdicts.filter((v) => v.status !== 'OK'), ...verdicts.filter((v) => v.status === 'OK')];
  const line = `BATON ${worst} - ${ordered.map((v) => v.text).join('; ')} | ${verdicts.map((v) => v.perf).join(' ')}`;
  return { status: worst, code: CHECK_CODES[worst], line };
}

/**
 * The verdict when the coordinator is not well (not running, not answering, no host): CRITICAL,
 * the coordinator's problem first, the apps' verdict after it, the same perfdata. No problem: as is.
 */
export function withCoordinator(backups: CheckVerdict, problem: string | null): CheckVerdict {
  if (problem === null || backups.status === 'UNKNOWN') return backups;
  const [text, perf] = backups.line.replace(/^BATON \w+ - /, '').split(' | ');
  const line = `BATON CRITICAL - ${problem}; ${text}${perf === undefined ? '' : ` | ${perf}`}`;
  return { status: 'CRITICAL', code: CHECK_CODES.CRITICAL, line };
}
