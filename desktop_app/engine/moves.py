"""A run's renames, touches and deletions: rows rewritten with their vectors, nothing embedded.

Moved out of :mod:`pipeline` (which runs it before extracting) to keep that module in bounds.
"""

from __future__ import annotations

from typing import Any

from desktop_app.engine.progress import IndexSummary
from desktop_app.engine.records import STATUS_INDEXED, FileRecord, FileUpdate
from desktop_app.engine.scanner import Plan
from desktop_app.engine.store import Store, chunk_data_from_rows


def apply_moves(store: Store, plan: Plan, summary: IndexSummary) -> None:
    """Renames, touches and deletions: rows rewritten with their vectors, nothing embedded.

    A touched file (same content, new mtime) has its rows rewritten too, so that the
    ``mtime`` column the date filters use stays true.
    """
    moves = [(info.path, info, content_hash) for info, content_hash in plan.touched]
    moves += plan.renamed
    if not moves and not plan.deleted:
        return
    manifest = store.manifest() if moves else {}
    sources = [old for old, _, _ in moves]
    rows_by_path = _split_by_path(store.rows_for_paths(sources)) if sources else {}
    updates: list[FileUpdate] = []
    moved_from: list[str] = []
    for old_path, info, content_hash in moves:
        old = manifest.get(old_path)
        rows = rows_by_path.get(old_path)
        have = rows.num_rows if rows is not None else 0
        if old is None or have != (old.chunk_count if old.status == STATUS_INDEXED else 0):
            plan.new.append(info)  # rows missing or partial: index it afresh
            if old_path != info.path:
                plan.deleted.append(old_path)
            continue
        record = FileRecord(
            **{
                **old.__dict__,
                "path": info.path,
                "size": info.size,
                "mtime_ns": info.mtime_ns,
                "content_hash": content_hash,
            }
        )
        data = (
            chunk_data_from_rows(rows.sort_by("chunk_index")) if rows is not None and have else None
        )
        updates.append(FileUpdate(record, data))
        if old_path != info.path:
            moved_from.append(old_path)
    if updates or plan.deleted or moved_from:
        store.apply(updates, [*plan.deleted, *moved_from])
    summary.touched = len(plan.touched)
    summary.renamed = len(moved_from)
    summary.removed = len(plan.deleted)


def _split_by_path(rows: Any) -> dict[str, Any]:
    """An Arrow table of chunk rows split into one table per path."""
    import pyarrow.compute as pc

    return {
        path: rows.filter(pc.equal(rows.column("path"), path))
        for path in set(rows.column("path").to_pylist())
    }
