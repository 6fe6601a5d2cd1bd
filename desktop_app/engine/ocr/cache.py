"""OCR'd text kept by the file's content hash, so the same bytes are never read twice.

A file moved, renamed, copied or re-saved unchanged has the same hash, and a re-index (another
model, a repair) finds its pages here instead of spending seconds per page again. One small
JSON file per hash (``<dir>/<2 hex>/<hash>.json``) holds the page texts, their page numbers
and the engine that read them: text read by another engine (or version) is read again. Writes
are atomic (temp file + rename), so a crash leaves the old entry or the new one, never half.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Final

log = logging.getLogger(__name__)

CACHE_VERSION: Final = 1
_HASH_RE: Final = re.compile(r"[0-9a-f]{16,128}")


def entry_path(cache_dir: str | Path, content_hash: str) -> Path | None:
    """Where the entry for ``content_hash`` lives; None for a hash that is not hex."""
    if not _HASH_RE.fullmatch(content_hash):
        return None
    return Path(cache_dir) / content_hash[:2] / f"{content_hash}.json"


def load(cache_dir: str | Path | None, content_hash: str, engine: str) -> dict[int, str]:
    """The pages read before from these bytes by ``engine`` (page number -> text), or {}.

    A missing, unreadable or foreign entry is simply a miss: the cache can always be rebuilt.
    """
    path = entry_path(cache_dir, content_hash) if cache_dir else None
    if path is None:
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.info("OCR cache entry %s unreadable (%s): reading the pages again", path.name, exc)
        return {}
    if (
        not isinstance(raw, dict)
        or raw.get("version") != CACHE_VERSION
        or raw.get("engine") != engine
        or not isinstance(raw.get("pages"), dict)
    ):
        return {}
    pages: dict[int, str] = {}
    for number, text in raw["pages"].items():
        if isinstance(text, str) and str(number).isdigit():
            pages[int(number)] = text
    return pages


def save(
    cache_dir: str | Path | None, content_hash: str, engine: str, pages: dict[int, str]
) -> None:
    """Write the entry for ``content_hash`` atomically; a failure is logged, never raised."""
    path = entry_path(cache_dir, content_hash) if cache_dir else None
    if path is None:
        return
    payload = {
        "version": CACHE_VERSION,
        "engine": engine,
        "pages": {str(n): pages[n] for n in sorted(pages)},
    }
    tmp = ""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".ocr-", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, ensure_ascii=False)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("could not keep the OCR text of %s: %s", content_hash[:12], exc)
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def hashes(cache_dir: str | Path) -> set[str]:
    """The content hashes that have an entry (bytes some engine has OCR'd)."""
    root = Path(cache_dir)
    return {entry.stem for entry in root.glob("??/*.json")} if root.is_dir() else set()


def prune(cache_dir: str | Path, keep: set[str], older_than_s: float = 0.0) -> int:
    """Delete the entries of bytes no indexed file has any more, unless they were written in
    the last ``older_than_s`` seconds; returns how many went.

    Why the grace period: a folder removed from the app and added back, or a file moved out
    of the watched folders for a while, would otherwise be read page by page again. The
    engine prunes after a run that removed files, with a month's grace (``Engine``).
    """
    removed = 0
    root = Path(cache_dir)
    cutoff = time.time() - older_than_s
    for entry in root.glob("??/*.json") if root.is_dir() else ():
        if entry.stem in keep:
            continue
        with contextlib.suppress(OSError):
            if entry.stat().st_mtime <= cutoff:
                entry.unlink()
                removed += 1
    return removed
