"""Resumable, verified file downloads (for catalogue models).

A model is hundreds of megabytes over a home connection, so a download must survive a dropped
connection and an app restart: bytes go to ``<dest>.part`` and a later attempt continues with an
HTTP ``Range`` request. Nothing reaches ``dest`` unless its size and sha256 match the pinned
values; a mismatch deletes the partial file so a bad mirror cannot poison the next attempt.
Only HTTPS is allowed, except plain HTTP to this machine (tests run a local server), for the
first URL and for every redirect; a download without a sha256 pin is refused before connecting.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import logging
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]
CHUNK_BYTES = 1 << 20


class DownloadError(Exception):
    """The download failed; the message says why. A ``.part`` file may be kept for resume."""


class DownloadCancelled(DownloadError):
    """Cancelled by the caller; the partial file is kept so the next attempt resumes."""


class DownloadRefused(DownloadError):
    """Refused before (or instead of) connecting: a URL or pin that is not safe. Never retried."""


def check_url(url: str) -> None:
    """Refuse anything but HTTPS (or HTTP to loopback, for local servers and tests)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and parts.hostname:
        host = parts.hostname
        try:
            if host == "localhost" or ipaddress.ip_address(host).is_loopback:
                return
        except ValueError:
            pass
    raise DownloadRefused(f"{url}: only https:// downloads are allowed")


_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def check_pin(sha256: str) -> None:
    """Refuse a download without a real sha256 pin: nothing unverified may be installed."""
    if not _SHA256.fullmatch(sha256 or ""):
        raise DownloadRefused(f"no valid sha256 pin ({sha256!r}); refusing to download")


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to a URL :func:`check_url` allows.

    Model hosts redirect to CDNs; urllib would follow an ``https://`` URL to ``http://`` (or
    anything) without asking, which would bypass the scheme check made on the first URL.
    """

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        try:
            check_url(newurl)
        except DownloadRefused:
            fp.close()  # urllib leaves the redirect response open when this raises
            raise
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_CheckedRedirects)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def download(
    url: str,
    dest: Path,
    *,
    sha256: str,
    size: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    retries: int = 3,
    timeout: float = 30.0,
) -> Path:
    """Download ``url`` to ``dest`` atomically, resuming a previous partial download.

    ``progress(done, total)`` is called as bytes arrive (total is 0 when unknown). Connection
    failures are retried ``retries`` times, each resuming where the last stopped.
    """
    check_url(url)
    check_pin(sha256)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    attempt = 0
    while True:
        try:
            _fetch(url, part, size, progress, cancel, timeout)
            break
        except (DownloadCancelled, DownloadRefused):
            raise
        except (OSError, http.client.HTTPException, DownloadError) as exc:
            attempt += 1
            if attempt > retries:
                raise DownloadError(
                    f"{url}: download failed after {attempt} attempts ({exc})"
                ) from exc
            log.warning("download of %s interrupted (%s); resuming", url, exc)
            time.sleep(min(0.5 * attempt, 3.0))

    actual_size = part.stat().st_size
    if size is not None and actual_size != size:
        part.unlink(missing_ok=True)
        raise DownloadError(f"{url}: got {actual_size} bytes, expected {size}; discarded")
    actual = sha256_file(part)
    if actual != sha256.lower():
        part.unlink(missing_ok=True)
        raise DownloadError(f"{url}: sha256 mismatch (got {actual}, expected {sha256}); discarded")
    part.replace(dest)
    log.info("downloaded %s -> %s (%d bytes)", url, dest, actual_size)
    return dest


def _fetch(
    url: str,
    part: Path,
    size: int | None,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    timeout: float,
) -> None:
    """One attempt: continue ``part`` from its current length to the end of the resource."""
    offset = part.stat().st_size if part.exists() else 0
    if size is not None and offset == size:
        return
    if size is not None and offset > size:
        part.unlink()
        offset = 0
    request = urllib.request.Request(url, headers={"User-Agent": "desktop-search"})  # noqa: S310
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        # The scheme was checked by check_url: https, or http to loopback only; the opener
        # checks every redirect the same way.
        response = _OPENER.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # our partial file is bigger than the resource: restart
            part.unlink()
        raise DownloadError(f"HTTP {exc.code} {exc.reason}") from exc
    with response:
        if offset and response.status != 206:
            offset = 0  # the server ignored Range: start over
        declared = response.headers.get("Content-Length")
        total = size or (offset + int(declared) if declared and declared.isdigit() else 0)
        done = offset
        with part.open("ab" if offset else "wb") as out:
            while True:
                if cancel is not None and cancel.is_set():
                    raise DownloadCancelled(f"{url}: cancelled at {done} bytes")
                block = response.read(CHUNK_BYTES)
                if not block:
                    break
                out.write(block)
                done += len(block)
                if progress is not None:
                    progress(done, total)
    if declared and declared.isdigit() and done != offset + int(declared):
        raise DownloadError(f"connection closed at {done} of {offset + int(declared)} bytes")
