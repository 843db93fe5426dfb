#!/usr/bin/env bash
# Build the course website and check it in a real browser.
#
#   1. installs Debian's chromium and chromium-driver when missing (needs root, as on CI and the course machines);
#   2. builds the site with `scripts/book.py build` (notebooks executed, cached, a failing cell fails the build);
#   3. serves _build/html on 127.0.0.1 with Python's HTTP server;
#   4. runs tests/site/ (headless Chromium on every page, and builds of throwaway books) with pytest.
# Screenshots land in test-artifacts/site/. Extra arguments go to pytest, e.g. `scripts/site_test.sh -k search`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}

bash scripts/need_chromium.sh site_test

"$PYTHON" scripts/book.py build

port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PYTHON" -m http.server "$port" --bind 127.0.0.1 --directory _build/html >/dev/null 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
url="http://127.0.0.1:$port"
"$PYTHON" - "$url" <<'EOF'
import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(sys.argv[1] + "/index.html", timeout=1)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit(f"site_test: the HTTP server at {sys.argv[1]} did not answer")
EOF

rm -rf test-artifacts/site
LRLIB_SITE_URL="$url" "$PYTHON" -m pytest tests/site -p no:cacheprovider "$@"
echo "site_test: screenshots in test-artifacts/site/"
