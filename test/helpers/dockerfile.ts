/**
 * Carries out a Dockerfile without a Docker engine, for test/integration/dockerfile.test.ts. Each
 * stage gets a directory standing in for its image's root; this machine's Node stands in for the
 * base image's, and the Debian packages a stage installs with apt-get must already be on this
 * machine (the step checks, it does not install). WORKDIR, COPY (from the context, minus
 * .dockerignore, or --from an earlier stage), RUN (as the stage's USER), ENV, USER, ENTRYPOINT and
 * CMD are done; any other instruction fails, so the check never silently skips a step. Absolute
 * paths in RUN commands and in the command a container runs are taken inside the stage's root.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** One image stage as built: its root directory and what a container of it starts with. */
export interface BuiltStage {
  name?: string;
  root: string;
  workdir: string;
  env: Record<string, string>;
  /** The numeric uid:gid RUN steps and the container run as; 0:0 is root. */
  user: { uid: number; gid: number };
  entrypoint: string[];
  cmd: string[];
}

/** Joins continuation lines, drops comments, and splits into stages at FROM. */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i];
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      i++;
      if (/^\s*#/.test(lines[i])) continue;
      line = line.slice(0, -1) + ' ' + lines[i].trim();
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile line ${start}: cannot parse "${line}"`);
    const keyword = m[1].toUpperCase();
    const args = m[2].trim();
    if (keyword === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!f) throw new Error(`Dockerfile line ${start}: cannot parse FROM ${args}`);
      stages.push({ from: f[1], name: f[2], instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile line ${start}: ${keyword} before any FROM`);
    stage.instructions.push({ keyword, args, line: start });
  }
  return stages;
}

/** Exec form (a JSON array) or shell form (run by /bin/sh -c). */
function commandOf(args: string): string[] {
  return args.startsWith('[') ? (JSON.parse(args) as string[]) : ['/bin/sh', '-c', args];
}

/** Rewrites absolute paths (a word starting with /) to the same path inside `root`. */
export function inRoot(root: string, text: string): string {
  return text.replace(/(^|[\s=:'"])(\/[\w.@/-]*)/g, (_all, lead: string, path: string) =>
    path.startsWith('/bin/') || path.startsWith('/usr/') || path === '/dev/null' ? lead + path : lead + root + path,
  );
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/\/$/, '').replace(/[.+?^$(){}|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\*/g, '[^/]*')}(/|$)`);
}

/**
 * The .dockerignore as a test on context-relative paths: each pattern matches a path or any directory
 * above it, `*` within one path segment (enough for this repository's patterns).
 */
function dockerIgnore(context: string): (relative: string) => boolean {
  const file = join(context, '.dockerignore');
  const patterns = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'))
        .map(globToRegExp)
    : [];
  return (relative) => patterns.some((p) => p.test(relative));
}

function copy(stage: BuiltStage, built: BuiltStage[], context: string, ins: Instruction): void {
  const words = ins.args.split(/\s+/);
  const from = words[0].startsWith('--from=') ? words.shift()!.slice('--from='.length) : undefined;
  const dest = words.pop()!;
  const target = join(stage.root, posix.resolve(stage.workdir, dest));
  const intoDir = dest.endsWith('/') || words.length > 1;
  const skip = dockerIgnore(context);
  for (const source of words) {
    let path: string;
    if (from) {
      const src = built.find((s) => s.name === from);
      if (!src) throw new Error(`Dockerfile line ${ins.line}: COPY --from=${from}: no earlier stage of that name`);
      path = join(src.root, posix.resolve(src.workdir, source));
    } else {
      if (skip(posix.normalize(source).replace(/\/$/, '')))
        throw new Error(`Dockerfile line ${ins.line}: ${source} is in .dockerignore`);
      path = join(context, source);
    }
    if (!existsSync(path)) throw new Error(`Dockerfile line ${ins.line}: COPY ${source}: no such file or directory`);
    const to = statSync(path).isDirectory() ? target : intoDir ? join(target, basename(path)) : target;
    mkdirSync(intoDir || statSync(path).isDirectory() ? target : join(target, '..'), { recursive: true });
    cpSync(path, to, {
      recursive: true,
      filter: (p) => from !== undefined || p === path || !skip(p.slice(context.length + 1)),
    });
  }
}

/** apt-get steps: every package they install must already be on this machine. */
function checkAptPackages(ins: Instruction): void {
  for (const m of ins.args.matchAll(/apt-get install((?:\s+[^&;|]+)+)/g)) {
    for (const pkg of m[1]
      .trim()
      .split(/\s+/)
      .filter((w) => !w.startsWith('-'))) {
      const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
      if (!r.stdout.includes('install ok installed')) {
        throw new Error(
          `Dockerfile line ${ins.line}: the image installs ${pkg}, which this machine lacks: apt-get install ${pkg}`,
        );
      }
    }
  }
}

function runStep(stage: BuiltStage, ins: Instruction, env: NodeJS.ProcessEnv): void {
  if (/^apt-get\s/.test(ins.args)) return checkAptPackages(ins);
  const [file, ...args] = commandOf(ins.args).map((w, i) =>
    i < 2 && !ins.args.startsWith('[') ? w : inRoot(stage.root, w),
  );
  const r = spawnSync(file, args, {
    cwd: join(stage.root, stage.workdir),
    env: { ...env, ...stage.env },
    encoding: 'utf8',
    uid: stage.user.uid,
    gid: stage.user.gid,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) {
    const tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`Dockerfile line ${ins.line}: RUN ${ins.args} failed (exit ${r.status}):\n${tail}`);
  }
}

function parseEnv(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/(\w+)=("[^"]*"|\S*)/g)) out[m[1]] = m[2].replace(/^"|"$/g, '');
  return out;
}

function parseUser(ins: Instruction): { uid: number; gid: number } {
  const m = /^(\d+)(?::(\d+))?$/.exec(ins.args);
  if (!m) throw new Error(`Dockerfile line ${ins.line}: USER ${ins.args}: name the user by uid[:gid]`);
  return { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) };
}

function apply(
  stage: BuiltStage,
  built: BuiltStage[],
  context: string,
  ins: Instruction,
  env: NodeJS.ProcessEnv,
): void {
  switch (ins.keyword) {
    case 'WORKDIR':
      stage.workdir = posix.resolve(stage.workdir, ins.args);
      mkdirSync(join(stage.root, stage.workdir), { recursive: true });
      return;
    case 'COPY':
      return copy(stage, built, context, ins);
    case 'RUN':
      return runStep(stage, ins, env);
    case 'ENV':
      Object.assign(stage.env, parseEnv(ins.args));
      return;
    case 'USER':
      stage.user = parseUser(ins);
      return;
    case 'ENTRYPOINT':
      stage.entrypoint = commandOf(ins.args);
      stage.cmd = [];
      return;
    case 'CMD':
      stage.cmd = commandOf(ins.args);
      return;
    default:
      throw new Error(`Dockerfile line ${ins.line}: ${ins.keyword} is not carried out by test/helpers/dockerfile.ts`);
  }
}

/**
 * Builds every stage under `dir` (stage i in dir/<i>), in order; `env` is the environment RUN steps
 * start from (PATH, npm's cache and config). The directories are made readable to all, as an
 * image's are, so a non-root USER can reach them.
 */
export function buildDockerfile(
  dockerfile: string,
  context: string,
  dir: string,
  env: NodeJS.ProcessEnv,
): BuiltStage[] {
  const built: BuiltStage[] = [];
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  parseDockerfile(readFileSync(dockerfile, 'utf8')).forEach((s, i) => {
    const root = join(dir, String(i));
    mkdirSync(join(root, 'tmp'), { recursive: true });
    chmodSync(join(root, 'tmp'), 0o1777);
    const stage: BuiltStage = {
      name: s.name,
      root,
      workdir: '/',
      env: {},
      user: { uid: 0, gid: 0 },
      entrypoint: [],
      cmd: [],
    };
    for (const ins of s.instructions) apply(stage, built, context, ins, env);
    built.push(stage);
  });
  return built;
}

/** Whether every directory down to `file`, and the file itself, is open to other users (o+x). */
function openToAll(file: string): boolean {
  for (let p = file; p !== dirname(p); p = dirname(p)) {
    if ((statSync(p).mode & 0o001) === 0) return false;
  }
  return true;
}

/**
 * The node a container of `stage` runs: this machine's, as the base image's node would be. When the
 * image's user cannot reach it (Node 24 from ~/.cache under root's 0700 home, in CI's Node 24
 * pass), a copy where the base image keeps it, /usr/local/bin/node in the stage.
 */
function imageNode(stage: BuiltStage): string {
  if (stage.user.uid === 0 || openToAll(process.execPath)) return process.execPath;
  const copy = join(stage.root, 'usr', 'local', 'bin', 'node');
  if (!existsSync(copy)) {
    mkdirSync(dirname(copy), { recursive: true, mode: 0o755 });
    copyFileSync(process.execPath, copy);
    chmodSync(copy, 0o755);
  }
  return copy;
}

/** The argv a container of `stage` runs for `args` (its CMD when none), with `node` as this machine's. */
export function containerArgv(stage: BuiltStage, args?: string[]): string[] {
  const argv = [...stage.entrypoint, ...(args ?? stage.cmd)];
  return argv.map((w, i) => (i === 0 && w === 'node' ? imageNode(stage) : w.startsWith('/') ? stage.root + w : w));
}

export interface ContainerOptions {
  /** The user's home (the base image's): made here, owned by the stage's user. */
  home: string;
  env?: Record<string, string>;
}

/** Starts a "container" of `stage`: its entry point as its user, in its WORKDIR, with its ENV only. */
export function startContainer(stage: BuiltStage, args: string[] | undefined, opts: ContainerOptions) {
  const [file, ...rest] = containerArgv(stage, args);
  return spawn(file, rest, {
    cwd: join(stage.root, stage.workdir),
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: opts.home, ...stage.env, ...opts.env },
    uid: stage.user.uid,
    gid: stage.user.gid,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
