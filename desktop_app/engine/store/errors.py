"""What can go wrong with the index, and how LanceDB's errors become one line for a person.

LanceDB reports a full disk, a missing data file and a bad filter alike, as long Rust error
texts. Everything here tells them apart by that text, so that damage and a full disk reach the
user as one sentence naming the fix, while a bug (a bad filter) still surfaces as it is.
"""

from __future__ import annotations

import contextlib
import errno
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from desktop_app.engine.errors import UserFacingError

REPAIR_HINT = (
    "run 'desktop-search doctor --repair' to rebuild it from your files "
    "(folders and settings are kept)"
)


class StoreError(UserFacingError):
    """The index cannot be opened or used as it is; the message says what to do."""


class ModelMismatchError(StoreError):
    """The index was built with another model; its vectors cannot be mixed with this one's."""


class DiskFullError(StoreError):
    """A write failed for lack of space. Nothing half-written is visible: every LanceDB commit
    is atomic and an interrupted two-commit batch is finished from the journal on next open."""


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (an OSError, or a LanceDB error that carries the OS error's text) means
    the disk or the user's quota is full."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc)
    return any(
        marker in text
        for marker in (
            "No space left on device",
            "Disk quota exceeded",
            "not enough space on the disk",
            "os error 28)",
            "os error 112)",
            "os error 122)",
        )
    )


def is_damage(exc: BaseException) -> bool:
    """Whether a LanceDB read error means files of the index are missing or cut short (as
    opposed to, say, a bad filter expression, which is a bug to surface as is)."""
    text = str(exc)
    return any(
        marker in text
        for marker in (
            "LanceError(IO)",
            "LanceError(Corrupt",
            "LanceError(NotFound",
            "Not found:",
            "Invalid range",
            "No such file or directory",
        )
    )


def damage_detail(exc: BaseException) -> str:
    """A short, human description of a LanceDB read error (its text carries Rust source paths
    and repeated wrappers that mean nothing to a user)."""
    text = str(exc)
    missing = re.search(r"Not found: (?:Wrapped error: Not found: )?(\S+?\.\w+)(?:,|\s|$)", text)
    if missing:
        return f"file {Path(missing.group(1)).name} is missing"
    if re.search(
        r"Invalid range \d+\.\.\d+ for object of size \d+|failed to fill whole buffer|"
        r"unexpected end of file",
        text,
        flags=re.IGNORECASE,
    ):
        return "a data file is truncated"
    first = text.splitlines()[0] if text else type(exc).__name__
    first = re.sub(r",\s*/\S+\.rs:\d+:\d+.*", "", first)  # Rust source locations
    first = re.sub(
        r"^(lance error: |LanceError\(\w+\): |Generic \w+ error: |Wrapped error: )+", "", first
    )
    return first[:160]


def damaged(uri: str, detail: str) -> StoreError:
    """The one-line error for an index whose files are missing, cut short or unreadable."""
    return StoreError(f"the index at {uri} is damaged ({detail}); {REPAIR_HINT}")


def disk_full(uri: str, what: str) -> DiskFullError:
    """The error for a write (or read) that ran out of space, saying what to do about it."""
    return DiskFullError(
        f"disk full: could not {what} in the index at {uri} "
        f"({_free_space(uri)}); free some space and run the indexing again: "
        "what was indexed before is kept"
    )


def _free_space(uri: str) -> str:
    """``"N MB free"`` for the disk holding a local index (for the disk-full message)."""
    if "://" in uri:
        return "object store"
    try:
        free = shutil.disk_usage(uri).free
    except OSError:
        return "free space unknown"
    return f"{free / 1e6:.1f} MB free"


@contextlib.contextmanager
def reading(uri: str) -> Iterator[None]:
    """Turn LanceDB's errors about missing or truncated files into a one-line
    :class:`StoreError` (damage that appeared after the store was opened)."""
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:
        if is_disk_full(exc):  # also a LanceError(IO), but nothing is damaged
            raise disk_full(uri, "read the index") from exc
        if not is_damage(exc):
            raise
        raise damaged(uri, damage_detail(exc)) from exc


@contextlib.contextmanager
def writing(uri: str, what: str) -> Iterator[None]:
    """Turn a full disk into :class:`DiskFullError`, whose message says what to do."""
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:
        if not is_disk_full(exc):
            raise
        raise disk_full(uri, what) from exc
