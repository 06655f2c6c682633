#!/bin/sh
# Installs the engine benchmark's peers: Debian's restic and borgbackup, and the newest releases
# (restic 0.18.1 built with Go, borgbackup 1.4.5 from PyPI in a venv) under ~/.cache/baton/peers.
# Only package registries are used. Re-running skips what is there.
set -eu
peers="${XDG_CACHE_HOME:-$HOME/.cache}/baton/peers"
mkdir -p "$peers"
if ! command -v restic >/dev/null || ! command -v borg >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq restic borgbackup
fi
if [ ! -x "$peers/restic-0.18.1/restic" ]; then
  echo "install-peers: building restic 0.18.1 with Go into $peers/restic-0.18.1" >&2
  GOBIN="$peers/restic-0.18.1" go install github.com/restic/restic/cmd/restic@v0.18.1
fi
if [ ! -x "$peers/borg-1.4.5/bin/borg" ]; then
  echo "install-peers: installing borgbackup 1.4.5 from PyPI into $peers/borg-1.4.5" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libacl1-dev libssl-dev liblz4-dev libzstd-dev libxxhash-dev pkg-config
  python3 -m venv "$peers/borg-1.4.5"
  "$peers/borg-1.4.5/bin/pip" install -q borgbackup==1.4.5
fi
"$peers/restic-0.18.1/restic" version
"$peers/borg-1.4.5/bin/borg" --version
