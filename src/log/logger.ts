/**
 * Baton's logger: JSON lines by default, readable lines on a terminal (or with BATON_LOG_PRETTY=1).
 * Children carry node, app and job, so every line says where it comes from.
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export function createLogger(bindings: Record<string, string> = {}): Logger {
  const level = process.env.BATON_LOG_LEVEL ?? 'info';
  const readable = process.env.BATON_LOG_PRETTY ? process.env.BATON_LOG_PRETTY === '1' : process.stdout.isTTY;
  const base = { level, base: { pid: process.pid, ...bindings } };
  if (!readable) return pino(base);
  return pino(base, pretty({ colorize: true, sync: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' }));
}
