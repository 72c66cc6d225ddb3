#!/usr/bin/env bash
# The one test command: installs what the tests need when it is missing, then runs every
# test of the workspace (unit, integration, UI and doc tests) with all features on.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    echo "==> redis-server not found: installing it with apt-get (the Redis tests start their own servers on 127.0.0.1)"
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
    # The package starts a system service on port 6379; the tests use their own servers.
    $SUDO service redis-server stop >/dev/null 2>&1 || true
fi
echo "==> redis-server: $(redis-server --version | head -1)"

if ! command -v prometheus >/dev/null 2>&1; then
    echo "==> prometheus not found: installing it with apt-get (the metrics test starts its own server on 127.0.0.1)"
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq prometheus >/dev/null
    # The package may start a system service on port 9090; the test uses its own server.
    $SUDO service prometheus stop >/dev/null 2>&1 || true
fi
echo "==> prometheus: $(prometheus --version 2>&1 | head -1)"

echo "==> cargo test --workspace --all-features"
cargo test --workspace --all-features "$@"

echo "==> loom: every interleaving of the cache's load/invalidate fence (own target dir: target/loom)"
CARGO_TARGET_DIR=target/loom RUSTFLAGS="--cfg memotrace_loom" cargo test -p memotrace --lib fence::model

echo "==> cargo clippy --workspace --all-targets --all-features -- -D warnings (proves lint-clean expansions)"
cargo clippy --workspace --all-targets --all-features -- -D warnings
