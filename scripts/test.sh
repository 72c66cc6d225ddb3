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

echo "==> cargo test --workspace --all-features"
cargo test --workspace --all-features "$@"

echo "==> cargo clippy --workspace --all-targets --all-features -- -D warnings (proves lint-clean expansions)"
cargo clippy --workspace --all-targets --all-features -- -D warnings
