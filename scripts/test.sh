#!/usr/bin/env bash
# The one test command: installs what the checks need when it is missing, then checks what
# a release needs: formatting, the declared rust-version, licences and sources, every test
# of the workspace (unit, integration, UI and doc tests) with all features on, the UI tests
# without the optional features, clippy, the docs, and every feature on its own.
set -euo pipefail
cd "$(dirname "$0")/.."

# Incremental caches only pay off on a developer's repeated builds; this run builds once.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

# mariadbd lives in /usr/sbin, which is not on every user's PATH.
export PATH="$PATH:/usr/sbin"

# need COMMAND PACKAGE SERVICE WHY: installs Debian's PACKAGE with apt-get when COMMAND is
# missing, and stops the system SERVICE it may start (the tests start their own servers
# on free 127.0.0.1 ports).
need() {
    local command=$1 package=$2 service=$3 why=$4 sudo=""
    command -v "$command" >/dev/null 2>&1 && return
    echo "==> $command not found: installing $package with apt-get ($why)"
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$package" >/dev/null
    [ -z "$service" ] || $sudo service "$service" stop >/dev/null 2>&1 || true
}
need redis-server redis-server redis-server "the Redis tests start their own servers"
need redis-cli redis-tools "" "the Redis tests drive their servers with it"
need mariadbd mariadb-server mariadb "the MariaDB tests start their own server"
need prometheus prometheus prometheus "the metrics test starts its own server"
need jq jq "" "scripts/msrv.sh reads cargo metadata with it"
echo "==> redis-server: $(redis-server --version | head -1)"
echo "==> mariadbd: $(mariadbd --version)"
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

echo "==> public API listing: runtime/public-api.txt must match the docs (a change shows in review)"
cargo run -q -p memotrace-tests --bin public_api

echo "==> cargo hack check --each-feature -p memotrace (every feature builds on its own)"
cargo hack check --each-feature -p memotrace

echo "==> done: target/ holds $(du -sh target 2>/dev/null | cut -f1)"
