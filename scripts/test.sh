#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need (Python test oracles
# in a private virtual environment), then runs format and lint checks and every test.
#
#   scripts/test.sh            # everything
#   scripts/test.sh --quick    # skip fmt/clippy
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

quick=0
[ "${1:-}" = "--quick" ] && quick=1

# Python oracles (DuckDB for the analytic, pySigma for rule export, suricata-check, idstools and
# stix2-validator for controls): pinned, in .venv-test.
venv="$root/.venv-test"
req_files=(tests/python/requirements-*.txt)
stamp="$venv/.installed-$(cat "${req_files[@]}" 2>/dev/null | sha256sum | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  echo "==> installing Python test oracles into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip >/dev/null
  for f in "${req_files[@]}"; do
    [ -e "$f" ] && "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$f"
  done
  touch "$stamp"
fi
export PUBSUB_HUNT_PYTHON="$venv/bin/python"

# ECS oracle: Elastic's ECS field definitions (npm @elastic/ecs, pinned in tests/node/package.json),
# in .node-test; the ECS test reads them through PUBSUB_HUNT_NODE_PATH.
node_dir="$root/.node-test"
node_stamp="$node_dir/.installed-$(sha256sum tests/node/package.json | cut -c1-16)"
if command -v npm >/dev/null 2>&1 && [ ! -e "$node_stamp" ]; then
  echo "==> installing the ECS field definitions into $node_dir" >&2
  mkdir -p "$node_dir"
  cp tests/node/package.json "$node_dir/package.json"
  (cd "$node_dir" && npm install --silent --no-audit --no-fund >/dev/null) && touch "$node_stamp"
fi
export PUBSUB_HUNT_NODE_PATH="$node_dir/node_modules"

# Real peers for the end-to-end capture test (the seeds' procedures): Mosquitto and its clients,
# nc and tcpdump, from Debian's packages; nft and ip for the controls test, which loads the
# generated nftables file in network namespaces it creates. Capturing and namespaces need root,
# so they are installed (and the tests required) only when running as root.
tools_needed=()
# Debian's chromium renders the HTML report in the browser test (headless, no network); make and
# a C compiler build librdkafka for the `kafka` feature (`pubsub-hunt stream`).
for t in mosquitto:mosquitto mosquitto_pub:mosquitto-clients nc:netcat-openbsd tcpdump:tcpdump \
  nft:nftables ip:iproute2 chromium:chromium make:make cc:gcc; do
  command -v "${t%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${t%%:*}" ] || tools_needed+=("${t##*:}")
done
if [ "$(id -u)" = 0 ]; then
  if [ "${#tools_needed[@]}" -gt 0 ]; then
    echo "==> installing ${tools_needed[*]}" >&2
    if DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${tools_needed[@]}" >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${tools_needed[@]}" >/dev/null 2>&1; }; then
      export PUBSUB_HUNT_REQUIRE_TOOLS=1
    else
      echo "warning: could not install ${tools_needed[*]}; the real-tools capture test will skip" >&2
    fi
  else
    export PUBSUB_HUNT_REQUIRE_TOOLS=1
  fi
fi
# History across runs goes to a throwaway directory: a test that forgets --no-state or
# PUBSUB_HUNT_NO_STATE must not write into the user's state store, nor read what another left.
XDG_STATE_HOME=$(mktemp -d)
export XDG_STATE_HOME
trap 'rm -rf "$XDG_STATE_HOME"' EXIT
# Tests that need an oracle fail instead of skipping when this is set.
export PUBSUB_HUNT_REQUIRE_ORACLES=1
export INSTA_UPDATE=no

# A clean checkout gains nothing from incremental compilation, and its caches take over a
# gigabyte beside the test binaries.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

if [ "$quick" = 0 ]; then
  echo "==> cargo fmt --check" >&2
  cargo fmt --all -- --check
  echo "==> cargo clippy" >&2
  cargo clippy --workspace --all-targets --locked --features pubsub-hunt/kafka -- -D warnings
  echo "==> no file-level import circles" >&2
  python3 scripts/import_circles.py
fi
# The `kafka` feature (`pubsub-hunt stream`, librdkafka built from source) is built and tested
# too; its tests talk to librdkafka's in-process mock broker on 127.0.0.1.
echo "==> cargo test" >&2
cargo test --workspace --locked --features pubsub-hunt/kafka
