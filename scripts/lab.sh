#!/usr/bin/env bash
# What `make lab` runs: JupyterLab on notebooks/ with the course's kernel, from the course environment.
#
# As root (Docker, many cloud notebook machines) JupyterLab refuses to start without --allow-root, so it is
# added then and only then. Extra arguments go to `jupyter lab`, e.g. `scripts/lab.sh --port=9000 --no-browser`.
# NOTEBOOK_DIR serves another directory (the lab test serves a scratch copy of notebooks/).
set -euo pipefail
cd "$(dirname "$0")/.."
JUPYTER=${JUPYTER:-.venv/bin/jupyter}
args=(--notebook-dir="${NOTEBOOK_DIR:-notebooks}" --MultiKernelManager.default_kernel_name=lrlib-course)
if [ "$(id -u)" -eq 0 ]; then
    args+=(--allow-root)
fi
exec "$JUPYTER" lab "${args[@]}" "$@"
