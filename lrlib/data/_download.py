"""Downloading files into lrlib's cache: checksummed, atomic, and quick to fail when offline.

A file is written to a temporary name in the cache directory and moved into place with `os.replace` only
after its MD5 matches, so an interrupted or corrupt download never leaves a file that looks complete.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import tempfile
import threading
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

_CHUNK = 1 << 16
# What a failed or cut-off transfer raises: URLError and socket errors are OSError, IncompleteRead is not.
_NETWORK_ERRORS = (OSError, ValueError, http.client.HTTPException)


class DatasetUnavailableError(OSError):
    """A dataset is neither in the cache nor downloadable (offline, mirror down, or checksum mismatch)."""


def default_cache_dir() -> Path:
    """Where lrlib caches downloads: ``$LRLIB_CACHE``, else ``$XDG_CACHE_HOME/lrlib``, else ``~/.cache/lrlib``."""
    if os.environ.get("LRLIB_CACHE"):
        return Path(os.environ["LRLIB_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "lrlib"


def md5sum(path: Path) -> str:
    """Hex MD5 digest of a file, read in chunks."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def is_valid(path: Path, md5: str) -> bool:
    """True when `path` exists and its MD5 equals `md5`."""
    return path.is_file() and md5sum(path) == md5


def reachable(url: str, timeout: float) -> bool:
    """True when a TCP connection to `url`'s host opens within `timeout` seconds (name lookup included)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    result: list[bool] = []

    def connect() -> None:
        try:
            socket.create_connection((parts.hostname, port), timeout=timeout).close()
            result.append(True)
        except OSError:
            result.append(False)

    # getaddrinfo ignores socket timeouts, so the whole attempt runs in a thread we stop waiting for.
    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])


def download(url: str, dest: Path, md5: str, *, timeout: float = 30.0) -> None:
    """Fetch `url` into `dest` atomically; raise `DatasetUnavailableError` if it fails or its MD5 differs."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        digest, received = hashlib.md5(), 0
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            announced = response.headers.get("Content-Length")
            while chunk := response.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
                received += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        if announced is not None and received != int(announced):
            raise DatasetUnavailableError(f"{url}: connection closed after {received} of {announced} bytes")
        if digest.hexdigest() != md5:
            raise DatasetUnavailableError(f"{url}: MD5 {digest.hexdigest()} does not match the published {md5}")
        os.replace(tmp, dest)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, DatasetUnavailableError) or not isinstance(exc, _NETWORK_ERRORS):
            raise
        raise DatasetUnavailableError(f"{url}: {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"cannot connect ({exc.reason})"
    return f"{type(exc).__name__}: {exc}"
