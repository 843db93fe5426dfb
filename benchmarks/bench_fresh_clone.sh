#!/usr/bin/env bash
# Times what a new contributor (and CI) pays: `make setup` and `make test` in a fresh clone of this repo.
# Usage: bash benchmarks/bench_fresh_clone.sh [REV]   (default HEAD; needs ~7 GB free in $TMPDIR)
# Note: pip's wheel cache makes the set-up time a warm-cache figure on a machine that installed before.
set -euo pipefail
repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/clone"
git -C "$work/clone" checkout -q "${1:-HEAD}"
cd "$work/clone"
t0=$(date +%s)
make setup > "$work/setup.log" 2>&1 || { tail -30 "$work/setup.log"; exit 1; }
t1=$(date +%s)
make test > "$work/test.log" 2>&1 || { tail -60 "$work/test.log"; exit 1; }
t2=$(date +%s)
grep -E "passed|failed" "$work/test.log" | tail -4
echo "fresh clone: make setup $((t1 - t0)) s, tests $((t2 - t1)) s, make test in all $((t2 - t0)) s"
