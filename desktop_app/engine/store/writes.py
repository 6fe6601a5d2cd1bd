"""The commits of a batch, shared by the store's writer and by journal recovery.

A batch is two commits: first the ``chunks`` table, then the ``files`` manifest. Recovery
replays the second one (or a journalled deletion) after a crash, so each is written once, here,
and is idempotent: doing it again leaves the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from desktop_app.engine.records import FileRecord
from desktop_app.engine.store.rows import file_table
from desktop_app.engine.store.schema import sql_in


def commit_chunks(chunks: Any, rows: Any, paths: Sequence[str]) -> None:
    """One commit: ``rows`` (an Arrow table, maybe empty) become the only chunks of ``paths``.

    A ``merge_insert`` inserts the new rows and, in the same commit, deletes the old rows of
    every path touched: a reader never sees half of a file's chunks.
    """
    if rows.num_rows:
        (
            chunks.merge_insert("id")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .when_not_matched_by_source_delete(sql_in("path", paths))
            .execute(rows)
        )
    else:
        chunks.delete(sql_in("path", paths))


def commit_files(files: Any, records: Sequence[FileRecord], deleted: Sequence[str]) -> None:
    """One commit: the manifest half of a batch (upsert ``records``, drop ``deleted``)."""
    if records:
        merge = files.merge_insert("path").when_matched_update_all().when_not_matched_insert_all()
        if deleted:
            merge = merge.when_not_matched_by_source_delete(sql_in("path", deleted))
        merge.execute(file_table(records))
    elif deleted:
        files.delete(sql_in("path", deleted))


def delete_rows(chunks: Any, files: Any, conditions: Sequence[str]) -> None:
    """Delete the rows matching each condition from both tables (two commits per condition)."""
    for condition in conditions:
        chunks.delete(condition)
        files.delete(condition)
