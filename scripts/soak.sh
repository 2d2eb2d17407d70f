#!/usr/bin/env bash
# The soak (see README, "Soak"): mixed signed load through the official Python SDK against the
# real binary for --minutes (default 10), with a SIGKILL and restart every --kill-every seconds
# (default 120); then checks that every task ended exactly once, that no 5xx came outside ±3 s of
# a restart, and that RSS stayed flat. Prints a report; exit status 0 only when all hold.
#
#   scripts/soak.sh [--minutes N] [--kill-every SECONDS] [other scripts/soak.py options]
#
# ACK_ADDONS_BIN picks the binary (default target/release/ack-addons, else target/debug).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.cache/venv/bin/python
if [ ! -x "$PY" ]; then
  echo "no Python venv at .cache/venv: run scripts/test.sh first (it installs the pinned SDKs there)" >&2
  exit 2
fi
if [ -z "${ACK_ADDONS_BIN:-}" ]; then
  if [ -x target/release/ack-addons ]; then
    ACK_ADDONS_BIN="$PWD/target/release/ack-addons"
  elif [ -x target/debug/ack-addons ]; then
    ACK_ADDONS_BIN="$PWD/target/debug/ack-addons"
  else
    echo "no ack-addons binary: cargo build --release -p ack-addons (or set ACK_ADDONS_BIN)" >&2
    exit 2
  fi
fi
export ACK_ADDONS_BIN
exec "$PY" scripts/soak.py "$@"
