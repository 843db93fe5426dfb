#!/usr/bin/env bash
# Make sure Debian's chromium and chromium-driver are installed, installing them when missing (needs root, as on
# CI and the course machines). The browser tests (site_test.sh, lab_test.sh) call it first.
#   scripts/need_chromium.sh NAME    # NAME prefixes the messages
set -euo pipefail
name=${1:-need_chromium}
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "$name: chromium and chromium-driver are missing;" \
            "install them (apt-get install chromium chromium-driver) as root" >&2
        exit 1
    fi
    echo "$name: installing chromium and chromium-driver"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
