#!/usr/bin/env bash
# Run every chapter through JupyterLab in a real browser, as a learner would (tests/lab/).
#
#   1. installs Debian's chromium and chromium-driver when missing (needs root, as on CI and the course machines);
#   2. makes a scratch directory for the servers' state, the copy of notebooks/ they serve and the browser
#      profile, and runs tests/lab/ with pytest (they start `make lab`'s command, scripts/lab.sh, themselves);
#   3. on every exit path: kills any process still naming the scratch directory (a server, kernel or browser the
#      tests could not stop, e.g. after a hard kill), which fails the run, and removes the directory.
# Screenshots land in test-artifacts/lab/. Extra arguments go to pytest, e.g. `scripts/lab_test.sh -k explorer`.
# LRLIB_LAB_TIMEOUT sets the seconds one chapter may take (default 900).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
export LRLIB_DATASET=${LRLIB_DATASET:-digits}

bash scripts/need_chromium.sh lab_test

start=$(date +%s)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/lrlib-lab-test.XXXXXX")

# The ids of live processes whose command line names the scratch directory. Only shell builtins read them, so
# no helper process (a grep would name the directory itself) is counted.
leftovers() {
    local cmdline pid args
    for cmdline in /proc/[0-9]*/cmdline; do
        pid=${cmdline#/proc/}
        pid=${pid%/cmdline}
        args=()
        mapfile -d '' args < "$cmdline" 2>/dev/null || continue
        [[ "${args[*]}" == *"$scratch"* ]] && echo "$pid"
    done
    return 0
}

cleanup() {
    local status=$? pids
    trap - EXIT INT TERM
    pids=$(leftovers)
    if [ -n "$pids" ]; then
        echo "lab_test: processes left behind, killing them:" >&2
        ps -o pid,args -p "$(echo $pids | tr ' ' ,)" >&2 || true
        kill -9 $pids 2>/dev/null || true
        [ "$status" -eq 0 ] && status=1
    fi
    rm -rf "$scratch"
    echo "lab_test: took $(( $(date +%s) - start )) s, exit status $status"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "lab_test: screenshots go to test-artifacts/lab/"
LRLIB_LAB_SCRATCH="$scratch" "$PYTHON" -m pytest tests/lab -p no:cacheprovider "$@"
