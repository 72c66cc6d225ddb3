#!/usr/bin/env bash
# The minimum supported Rust version is a fact about the dependency graph: the highest
# `rust-version` declared by any package that memotrace or memotrace-macros pulls in
# (normal and build dependencies, every feature on, every target platform, as locked in
# Cargo.lock). This script computes it and fails when a published crate declares a lower
# `rust-version`.
#
# `cargo tree` gives the packages the published crates pull in (feature resolution as a
# user's build does it: the workspace's dev-dependencies and examples do not count);
# `cargo metadata` gives each package's declared `rust-version`.
#
#   scripts/msrv.sh            check; print the required version and the packages that set it
#   scripts/msrv.sh --list     also list every dependency with its declared rust-version
set -euo pipefail
cd "$(dirname "$0")/.."

metadata=$(cargo metadata --format-version 1 --locked)
published=$(jq -r '.packages[] | select(.source == null and .publish != []) | .name' <<<"$metadata")

# "name version" of every package the published crates pull in.
# loom is pruned: it is built only under `--cfg memotrace_loom`, for the model checker.
pulled=$(cargo tree --locked --all-features -e normal,build --target all --prefix none -f '{p}' \
    --prune loom $(printf -- '-p %s ' $published) |
    awk 'NF { sub(/^v/, "", $2); print $1 " " $2 }' | sort -u)

# Versions are compared as major.minor.patch ("1.94" is "1.94.0").
full='def full: split(".") | (. + ["0", "0"])[0:3] | join(".");'

# "rust-version<TAB>name<TAB>version" of each of them ("-" when it declares none).
declared=$(jq -r --arg pulled "$pulled" "$full"'
  ($pulled | split("\n") | map({key: ., value: true}) | from_entries) as $set
  | .packages[] | select(.source != null and $set["\(.name) \(.version)"])
  | "\(.rust_version // "-" | if . == "-" then . else full end)\t\(.name)\t\(.version)"
' <<<"$metadata")

if [ "${1:-}" = "--list" ]; then
    sort -V <<<"$declared" | column -t -s $'\t'
fi

required=$(cut -f1 <<<"$declared" | grep -v '^-$' | sort -V | tail -1)
setters=$(awk -F'\t' -v v="$required" '$1 == v { printf "%s%s %s", sep, $2, $3; sep = ", " }' <<<"$declared")
echo "the dependencies require Rust $required (declared by $setters)"

status=0
while IFS=$'\t' read -r name version; do
    if [ "$version" = "null" ]; then
        echo "error: $name declares no rust-version; set rust-version = \"$required\"" >&2
        status=1
    elif [ "$(printf '%s\n%s\n' "$version" "$required" | sort -V | tail -1)" != "$version" ]; then
        echo "error: $name declares rust-version $version, lower than the $required its dependencies need" >&2
        status=1
    else
        echo "$name declares rust-version $version: ok"
    fi
done < <(jq -r "$full"'
  .packages[] | select(.source == null and .publish != [])
  | "\(.name)\t\(.rust_version | if . == null then "null" else full end)"
' <<<"$metadata")
exit $status
