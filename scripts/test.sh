#!/usr/bin/env bash
# The whole test suite: Rust unit and integration tests (real SQLite files, signed requests),
# then the official SDKs (Python new and legacy, Node) against the real binary.
# Installs the pinned SDKs into .cache/ (Python) and conformance/node/node_modules (npm ci).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.cache/venv
REQ=conformance/python/requirements.txt
if [ ! -x "$VENV/bin/pytest" ] || ! cmp -s "$REQ" "$VENV/.requirements"; then
  echo "== installing the Python SDKs ($REQ)"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQ"
  cp "$REQ" "$VENV/.requirements"
fi
if [ ! -d conformance/node/node_modules ] || [ conformance/node/package-lock.json -nt conformance/node/node_modules ]; then
  echo "== installing the Node SDK (npm ci)"
  (cd conformance/node && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "== cargo test (the store contract runs on PostgreSQL too when ACK_ADDONS_PG_URL's server answers)"
cargo build --workspace --locked
cargo test --workspace --locked

export ACK_ADDONS_BIN="$PWD/target/debug/ack-addons"
echo "== official Python SDKs (alibabacloud-cs20151215, aliyun-python-sdk-cs + core) on SQLite"
env -u ACK_ADDONS_TEST_PG "$VENV/bin/pytest" -q conformance/python
echo "== official Node SDK (@alicloud/cs20151215) on SQLite"
(cd conformance/node && env -u ACK_ADDONS_TEST_PG node --test)

# The same suites on PostgreSQL, when a server answers (trust auth). Under CI=true it must.
PG="${ACK_ADDONS_TEST_PG:-postgres://postgres@127.0.0.1:5432}"
if psql "$PG/postgres" -qAtc 'select 1' >/dev/null 2>&1; then
  export ACK_ADDONS_TEST_PG="$PG"
  echo "== official Python SDKs on PostgreSQL ($PG), with the replica tests"
  "$VENV/bin/pytest" -q conformance/python
  echo "== official Node SDK on PostgreSQL"
  (cd conformance/node && node --test)
elif [ "${CI:-}" = "true" ]; then
  echo "CI=true but no PostgreSQL answers at $PG" >&2
  exit 1
else
  echo "== PostgreSQL round skipped: no server answers at $PG (set ACK_ADDONS_TEST_PG)"
fi

# The fuzz targets, each for a bounded time (ACK_ADDONS_FUZZ_SECONDS, default 30), when the nightly
# toolchain and cargo-fuzz are there; under CI=true they must be.
if cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "== fuzzing (cargo-fuzz, ${ACK_ADDONS_FUZZ_SECONDS:-30}s per target)"
  scripts/fuzz.sh "${ACK_ADDONS_FUZZ_SECONDS:-30}"
elif [ "${CI:-}" = "true" ]; then
  echo "CI=true but cargo +nightly fuzz is not available (.ci/run installs cargo-fuzz)" >&2
  exit 1
else
  echo "== fuzzing skipped: needs the nightly toolchain and cargo-fuzz (cargo install cargo-fuzz)"
fi
