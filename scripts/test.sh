#!/usr/bin/env bash
# The one test command: installs what the checks need when it is missing, then checks what
# a release needs: formatting, the declared rust-version, licences and sources, every test
# of the workspace (unit, integration, UI and doc tests) with all features on, the UI tests
# without the optional features, clippy, the docs, and every feature on its own.
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

if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
    echo "==> mariadbd not found: installing mariadb-server with apt-get (the MariaDB tests start their own server on 127.0.0.1)"
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq mariadb-server >/dev/null
    # The package starts a system service on port 3306; the tests use their own server.
    $SUDO service mariadb stop >/dev/null 2>&1 || true
fi
# mariadbd lives in /usr/sbin, which is not on every user's PATH.
export PATH="$PATH:/usr/sbin"
echo "==> mariadbd: $(mariadbd --version)"

if ! command -v prometheus >/dev/null 2>&1; then
    echo "==> prometheus not found: installing it with apt-get (the metrics test starts its own server on 127.0.0.1)"
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq prometheus >/dev/null
    # The package may start a system service on port 9090; the test uses its own server.
    $SUDO service prometheus stop >/dev/null 2>&1 || true
fi
echo "==> prometheus: $(prometheus --version 2>&1 | head -1)"

# Cargo subcommands the checks use, installed from crates.io when missing.
for tool in cargo-hack cargo-deny; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "==> $tool not found: installing it with cargo install --locked $tool"
        cargo install --locked "$tool"
    fi
done

echo "==> cargo fmt --all --check"
cargo fmt --all --check

echo "==> scripts/msrv.sh (the declared rust-version is the highest any dependency declares)"
scripts/msrv.sh

echo "==> cargo deny check licenses bans sources (deny.toml)"
cargo deny --log-level error check licenses bans sources

echo "==> cargo test --workspace --all-features --exclude memotrace-tests-build"
cargo test --workspace --all-features --exclude memotrace-tests-build "$@"

echo "==> cargo test -p memotrace-tests-build (UI tests of memotrace without the redis feature)"
cargo test -p memotrace-tests-build

echo "==> loom: every interleaving of the cache's load/invalidate fence (own target dir: target/loom)"
CARGO_TARGET_DIR=target/loom RUSTFLAGS="--cfg memotrace_loom" cargo test -p memotrace --lib fence::model

echo "==> cargo clippy --workspace --all-targets --all-features -- -D warnings (proves lint-clean expansions)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

echo "==> cargo doc --workspace --all-features --no-deps with RUSTDOCFLAGS=\"-D warnings\" (broken links fail)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps

echo "==> cargo hack check --each-feature -p memotrace (every feature builds on its own)"
cargo hack check --each-feature -p memotrace
