#!/usr/bin/env bash
# What the attributes cost at compile time. Generates one crate per variant, each with
# 200 annotated fns (half sync, half async; key templates and tags where the macro has
# them), and measures for each: a clean debug build of the crate (its dependencies are
# built once beforehand and shared), an incremental rebuild after editing one fn, and
# the expanded source lines per fn (`-Zunpretty=expanded`, minus the unannotated crate).
#
#   scripts/compile_time.sh            # prints a Markdown table
#   WORK=/tmp/ct KEEP=1 scripts/compile_time.sh
#   FNS=20 INSTRUCTIONS=1 scripts/compile_time.sh
#   TYPES=distinct FNS=20 INSTRUCTIONS=1 scripts/compile_time.sh   # a value type per fn
#
# INSTRUCTIONS=1 also counts the instructions rustc executes (callgrind, summed over its
# threads) for a clean build of the unannotated crate and each cache variant: a
# figure that does not move with the machine's load as the timings do (slow: use a
# small FNS).
# Variants: plain (no attribute), memotrace `#[cached]`, the `cached` crate's `#[cached]`,
# moka by hand (a static `moka::sync::Cache` per fn: moka has no attribute), memotrace
# `#[log_performance]`, `#[tracing::instrument]`. The expansion is printed by
# the same stable compiler with RUSTC_BOOTSTRAP=1 (so the timed builds' dependencies are
# reused); EXPAND=0 skips it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${WORK:-${TMPDIR:-/tmp}/memotrace-compile-time}"
FNS="${FNS:-200}"
EXPAND="${EXPAND:-1}"
INSTRUCTIONS="${INSTRUCTIONS:-0}"
TYPES="${TYPES:-shared}"
VARIANTS="${VARIANTS:-plain memotrace_cached cached_cached moka_cache memotrace_log tracing_instrument}"

# attribute VARIANT I: the attribute line(s) for fn number I (even: sync, odd: async).
attribute() {
    local v=$1 i=$2
    case "$v" in
        plain) ;;
        memotrace_cached)
            if ((i % 2 == 0)); then
                echo "#[memotrace::cached(ttl = \"10m\", max_capacity = 1_000, key = \"user:{id}:{team}\", tags = [\"team:{team}\"])]"
            else
                echo "#[memotrace::cached(ttl = \"5m\", key = \"order:{id}\", tags = [\"user:{id}\"])]"
            fi ;;
        cached_cached)
            if ((i % 2 == 0)); then
                echo "#[cached::macros::cached(max_size = 1_000, ttl_secs = 600, key = \"String\", convert = r#\"{ format!(\"user:{id}:{team}\") }\"#)]"
            else
                echo "#[cached::macros::cached(ttl_secs = 300, key = \"String\", convert = r#\"{ format!(\"order:{id}\") }\"#)]"
            fi ;;
        memotrace_log)
            echo "#[memotrace::log_performance(name = \"op_$i\", slow = \"250ms\")]" ;;
        tracing_instrument)
            echo "#[tracing::instrument(name = \"op_$i\", skip(team))]" ;;
    esac
}

# lib_rs VARIANT: the crate's lib.rs. With TYPES=distinct every fn returns its own type
# (a struct `R{i}`), so each cache is instantiated for its own value type.
lib_rs() {
    local v=$1 i sync_ty=String async_ty=u64 wrap_s="" wrap_a=""
    echo "#![allow(clippy::all, unused)]"
    for ((i = 0; i < FNS; i++)); do
        if [ "$TYPES" = distinct ]; then
            echo "#[derive(Clone, Debug, PartialEq)] pub struct R$i(pub u64);"
            if ((i % 2 == 0)); then sync_ty=R$i; wrap_s="R$i"; else async_ty=R$i; wrap_a="R$i"; fi
        fi
        attribute "$v" "$i"
        if ((i % 2 == 0)); then
            if [ "$TYPES" = distinct ]; then
                echo "pub fn f$i(id: u64, team: &str) -> $sync_ty { $wrap_s(id + team.len() as u64 + $i) }"
            else
                echo "pub fn f$i(id: u64, team: &str) -> String { format!(\"{id}-{team}-$i\") }"
            fi | by_hand "$v" "$i" "$sync_ty"
        else
            echo "pub async fn f$i(id: u64, team: &str) -> Result<$async_ty, String> { if team.is_empty() { Err(\"no team\".to_owned()) } else { Ok($wrap_a(id + $i)) } }" |
                by_hand "$v" "$i" "$async_ty"
        fi
    done
}

# by_hand VARIANT I TYPE: fn number I (on stdin) as the variant writes it. moka has no
# attribute: its variant is what a user writes by hand, a static `moka::sync::Cache` per
# fn (TTL, capacity, the same keys) in front of the fn's body, renamed `f{i}_compute`.
by_hand() {
    local v=$1 i=$2 ty=$3 f
    f=$(cat)
    if [ "$v" != moka_cache ]; then
        echo "$f"
        return
    fi
    local cache="static CACHE: std::sync::LazyLock<moka::sync::Cache<String, $ty>> = std::sync::LazyLock::new(|| moka::sync::Cache::builder().max_capacity(1_000).time_to_live(std::time::Duration::from_secs(600)).build());"
    echo "$f" | sed -E "s/^pub (async )?fn f$i\(/\1fn f${i}_compute(/"
    if ((i % 2 == 0)); then
        echo "pub fn f$i(id: u64, team: &str) -> $ty { $cache let key = format!(\"user:{id}:{team}\"); if let Some(v) = CACHE.get(&key) { return v; } let v = f${i}_compute(id, team); CACHE.insert(key, v.clone()); v }"
    else
        echo "pub async fn f$i(id: u64, team: &str) -> Result<$ty, String> { $cache let key = format!(\"order:{id}\"); if let Some(v) = CACHE.get(&key) { return Ok(v); } let r = f${i}_compute(id, team).await; if let Ok(v) = &r { CACHE.insert(key, v.clone()); } r }"
    fi
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

mkdir -p "$WORK"
cd "$WORK"
cp "$ROOT/Cargo.lock" Cargo.lock
{
    echo "[workspace]"
    echo "resolver = \"2\""
    echo "members = [$(for v in $VARIANTS; do printf '"%s", ' "$v"; done)]"
    echo "[workspace.dependencies]"
    echo "memotrace = { path = \"$ROOT/runtime\" }"
    grep -E '^(cached|moka|tracing) = ' "$ROOT/Cargo.toml"
} > Cargo.toml
for v in $VARIANTS; do
    mkdir -p "$v/src"
    cat > "$v/Cargo.toml" <<EOF
[package]
name = "$v"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
memotrace.workspace = true
cached.workspace = true
moka.workspace = true
tracing.workspace = true
EOF
    lib_rs "$v" > "$v/src/lib.rs"
done
export CARGO_TARGET_DIR="$WORK/target"

echo "==> building the dependencies once" >&2
cargo build -q -p plain 2>&1 | tail -5 >&2

echo "# $FNS annotated fns per crate (half async), value types: $TYPES; debug profile; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A clean rebuild lines
for v in $VARIANTS; do
    cargo clean -q -p "$v"
    t=$(now)
    cargo build -q -p "$v"
    clean[$v]=$(since "$t")
    # Edit fn number FNS/2's body (a sync fn): its string, or with TYPES=distinct its sum.
    sed -i -e "s/-$((FNS / 2))\")/-$((FNS / 2))-edited\")/" \
        -e "s/ + $((FNS / 2)))/ + $((FNS / 2)) + 1)/" "$v/src/lib.rs"
    t=$(now)
    cargo build -q -p "$v"
    rebuild[$v]=$(since "$t")
done
# After every timed build: RUSTC_BOOTSTRAP changes the dependencies' fingerprints, so
# the first expansion rebuilds them.
plain_lines=0
for v in $VARIANTS; do
    lines[$v]="-"
    if [ "$EXPAND" = 1 ]; then
        total=$(RUSTC_BOOTSTRAP=1 cargo rustc -q -p "$v" --lib -- -Zunpretty=expanded 2>/dev/null | wc -l)
        [ "$v" = plain ] && plain_lines=$total
        lines[$v]=$(( (total - plain_lines) / FNS ))
    fi
done
if [ "$INSTRUCTIONS" = 1 ]; then
    # A rustc wrapper that runs the crate being measured under callgrind.
    printf '%s\n' '#!/bin/sh' \
        'case " $* " in *" --crate-name $CT_CRATE "*)' \
        '    exec valgrind -q --tool=callgrind --callgrind-out-file="$CT_OUT" "$@" ;;' \
        'esac' 'exec "$@"' > rustc-callgrind
    chmod +x rustc-callgrind
    echo
    echo "| variant | rustc instructions, clean build |"
    echo "|---|---|"
    for v in $VARIANTS; do
        case "$v" in plain | *_cached | moka_cache) ;; *) continue ;; esac
        cargo clean -q -p "$v"
        CT_CRATE=$v CT_OUT="$WORK/callgrind.$v" RUSTC_WRAPPER="$WORK/rustc-callgrind" \
            cargo build -q -p "$v"
        total=$(grep -E '^(summary|totals):' "$WORK/callgrind.$v" | head -1 | awk '{print $2}')
        echo "| $v | $((total / 1000000)) M |"
    done
fi
echo
echo "| variant | clean build | rebuild after editing one fn | expanded lines per fn |"
echo "|---|---|---|---|"
for v in $VARIANTS; do
    echo "| $v | ${clean[$v]} s | ${rebuild[$v]} s | ${lines[$v]} |"
done
echo
echo "# end: load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
