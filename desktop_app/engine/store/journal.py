"""The write-ahead journal that closes the crash window between a batch's two commits.

Before its first commit a write records itself in ``_pending_write.json`` beside the tables
(the batch's manifest rows and a digest of each file's chunk hashes, or the conditions of a
deletion). Opening the store finds a journal left by a dead writer and checks whether the
chunks commit landed (the stored chunks match the digests): if it did, the manifest commit is
made again; if not, nothing landed and the journal is dropped. So ``doctor`` is clean right
after a crash (or a disk-full error) between the two commits, not only after the next run.

The store serialises writes and recovery with its write lock; this module only keeps the file.
Object stores have no local folder for it: there the journal does nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from desktop_app.engine.records import FileRecord, FileUpdate
from desktop_app.engine.store.errors import DiskFullError, StoreError, reading, writing
from desktop_app.engine.store.schema import sql_in
from desktop_app.engine.store.writes import commit_files, delete_rows

log = logging.getLogger(__name__)

#: The journal's file name, beside the tables of a local store.
JOURNAL_NAME = "_pending_write.json"
#: What a recovery did: nothing to do, the batch finished, nothing had landed, the writer
#: (another process) is still alive, or the redo failed (the disk is still full).
NOTHING, ROLLED_FORWARD, ROLLED_BACK, BUSY, PENDING = (
    "",
    "rolled forward",
    "rolled back",
    "busy",
    "pending",
)


class Journal:
    """The journal of the store at ``uri``, whose tables ``chunks`` and ``files`` it repairs."""

    def __init__(self, uri: str, chunks: Any, files: Any) -> None:
        self.uri = uri
        self.path = None if "://" in uri else Path(uri) / JOURNAL_NAME
        self._chunks = chunks
        self._files = files

    def pending(self) -> bool:
        """Whether a write left its journal behind (or is between its commits right now)."""
        return self.path is not None and self.path.exists()

    def begin_apply(self, updates: Sequence[FileUpdate], deleted: Sequence[str]) -> None:
        """Record a batch (see :meth:`Store.apply`) before its first commit."""
        digests = {path: _digest(()) for path in deleted}
        for u in updates:
            digests[u.record.path] = _digest(u.chunks.hashes if u.chunks is not None else ())
        self._begin(
            {
                "op": "apply",
                "records": [asdict(u.record) for u in updates],
                "deleted": list(deleted),
                "digests": digests,
            }
        )

    def begin_delete(self, conditions: Sequence[str]) -> None:
        """Record a deletion from both tables before its first commit."""
        self._begin({"op": "delete", "conditions": list(conditions)})

    def end(self) -> None:
        """The write is complete: nothing is left to recover."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    def _begin(self, entry: dict[str, Any]) -> None:
        """Write ``entry`` durably (temp file, fsync, rename), first finishing any earlier
        write that failed half-way."""
        path = self.path
        if path is None:
            return
        outcome = self.recover() if path.exists() else NOTHING
        if outcome == BUSY:
            raise StoreError(
                f"another process is writing to the index at {self.uri}; let it finish first"
            )
        if outcome == PENDING:
            raise DiskFullError(
                f"disk full: an interrupted write in the index at {self.uri} could not be "
                "finished; free some space and run the indexing again"
            )
        entry = {**entry, "pid": os.getpid(), "started": _process_started(os.getpid())}
        tmp = path.with_name(path.name + ".tmp")
        with writing(self.uri, "record the next write"):
            try:
                with open(tmp, "w", encoding="utf-8") as fh:
                    json.dump(entry, fh)
                    fh.flush()
                    os.fsync(fh.fileno())
                tmp.replace(path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise

    def recover(self) -> str:
        """Finish or drop a write a dead writer left between its two commits.

        Returns what was done: "", "rolled forward", "rolled back", "busy" or "pending".
        """
        path = self.path
        if path is None or not path.exists():
            return NOTHING
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("unreadable write journal %s: ignored (doctor finds any leftover)", path)
            path.unlink(missing_ok=True)
            return ROLLED_BACK
        pid = int(entry.get("pid", 0))
        if pid != os.getpid() and _process_started(pid) == entry.get("started"):
            return BUSY  # its writer is alive (another process): not ours to touch
        try:
            with writing(self.uri, "finish an interrupted write"), reading(self.uri):
                outcome = self._redo(entry)
        except DiskFullError as exc:  # debug only: the log file is likely on the full disk
            log.debug("%s", exc)
            return PENDING
        path.unlink(missing_ok=True)
        log.warning("found a write interrupted between its two commits: %s", outcome)
        return outcome

    def _redo(self, entry: dict[str, Any]) -> str:
        if entry.get("op") == "delete":
            delete_rows(self._chunks, self._files, entry["conditions"])
            return ROLLED_FORWARD
        records = [FileRecord(**r) for r in entry["records"]]
        deleted: list[str] = entry["deleted"]
        digests: dict[str, str] = entry["digests"]
        if self._chunk_digests(list(digests)) != digests:
            return ROLLED_BACK  # the chunks commit never landed: nothing did
        commit_files(self._files, records, deleted)
        return ROLLED_FORWARD

    def _chunk_digests(self, paths: Sequence[str]) -> dict[str, str]:
        """Per path, the digest of its stored chunk hashes in chunk order (empty if none)."""
        found: dict[str, list[tuple[int, str]]] = {p: [] for p in paths}
        for start in range(0, len(paths), 500):
            part = paths[start : start + 500]
            rows = (
                self._chunks.search()
                .where(sql_in("path", part))
                .select(["path", "chunk_index", "chunk_hash"])
                .limit(None)
                .to_arrow()
                .to_pylist()
            )
            for row in rows:
                found[row["path"]].append((row["chunk_index"], row["chunk_hash"]))
        return {p: _digest(h for _, h in sorted(pairs)) for p, pairs in found.items()}


def _digest(hashes: Iterable[str]) -> str:
    """One hash over a file's chunk hashes in order: what the journal compares on recovery."""
    return hashlib.sha256("\n".join(hashes).encode("ascii")).hexdigest()


def _process_started(pid: int) -> float | None:
    """The start time of process ``pid`` (None if there is none): with the pid, it tells a
    live writer from a dead one whose pid was reused."""
    import psutil

    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.Error, ValueError):
        return None
