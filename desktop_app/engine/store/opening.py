"""Opening an index: connect, create it if new, and refuse one that cannot be used as it is.

Every refusal is a :class:`StoreError` of one line naming the fix: damage (a deleted or
truncated data file, a missing table), a schema from another version, or an index built with
another model (:class:`ModelMismatchError`: vectors of two models must never be mixed).
Damage is found now, by a cheap count per table, rather than as a Rust error in the middle of
the first search.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from pathlib import Path
from typing import Any

from desktop_app.engine.store.errors import (
    ModelMismatchError,
    StoreError,
    damage_detail,
    damaged,
    disk_full,
    is_disk_full,
    reading,
    writing,
)
from desktop_app.engine.store.journal import JOURNAL_NAME
from desktop_app.engine.store.schema import (
    CHECK_FILTERS,
    CHUNKS,
    FILES,
    META,
    PIPELINE_VERSION,
    SCHEMA_VERSION,
    TABLES,
    lancedb,
    schemas,
)

log = logging.getLogger(__name__)


def open_tables(uri: str, model_id: str, dimension: int) -> tuple[Any, Any, Any]:
    """The ``chunks``, ``files`` and ``meta`` tables at ``uri``, created if there are none,
    checked for damage, schema and model."""
    expected = schemas(dimension)
    try:
        db = lancedb().connect(uri, read_consistency_interval=dt.timedelta(0))
        existing = set(db.list_tables().tables)
    except Exception as exc:  # lancedb raises assorted errors for bad URIs or storage
        raise StoreError(f"cannot open the index at {uri}: {exc}") from exc
    wanted = set(TABLES)
    if not existing & wanted:
        _create(db, uri, expected, model_id, dimension)
    elif wanted - existing:
        raise damaged(uri, f"missing table {', '.join(sorted(wanted - existing))}")
    tables = {}
    for name in TABLES:
        try:
            tables[name] = db.open_table(name)
        except Exception as exc:  # a table folder without a readable version
            raise damaged(uri, f"table {name} cannot be opened: {damage_detail(exc)}") from exc
    _validate_schemas(uri, tables, expected)
    _check_readable(uri, tables)
    _validate_meta(uri, tables[META], model_id, dimension)
    return tables[CHUNKS], tables[FILES], tables[META]


def _create(db: Any, uri: str, expected: dict[str, Any], model_id: str, dimension: int) -> None:
    with writing(uri, "create the index"):
        for name in TABLES:
            db.create_table(name, schema=expected[name], mode="overwrite")
        db.open_table(META).add(
            [
                {"key": "schema_version", "value": SCHEMA_VERSION},
                {"key": "pipeline_version", "value": PIPELINE_VERSION},
                {"key": "model_id", "value": model_id},
                {"key": "dimension", "value": str(dimension)},
            ]
        )
    log.info("created index at %s for model %s", uri, model_id)


def _validate_schemas(uri: str, tables: dict[str, Any], expected: dict[str, Any]) -> None:
    for name, table in tables.items():
        actual = table.schema
        if [(f.name, f.type) for f in actual] != [(f.name, f.type) for f in expected[name]]:
            if name == CHUNKS and actual.names == expected[name].names:
                continue  # same columns, other vector size: the model check below explains
            raise StoreError(
                f"the index at {uri} has an unexpected {name} schema (made by another "
                "version?); run 'desktop-search doctor --repair' to rebuild it"
            )


def _check_readable(uri: str, tables: dict[str, Any]) -> None:
    """Open every data file of every table's current version, cheaply.

    A filtered count over one small column makes LanceDB open each fragment's file and
    check its size against the manifest (5 ms for 300K chunks here), so a deleted or
    truncated file is reported now, in one line with the fix, rather than as a Rust
    error in the middle of the first search.
    """
    for name, table in tables.items():
        try:
            table.count_rows(CHECK_FILTERS[name])
        except Exception as exc:
            if is_disk_full(exc):
                raise disk_full(uri, "open the index") from exc
            raise damaged(uri, f"table {name}: {damage_detail(exc)}") from exc


def _validate_meta(uri: str, meta_table: Any, model_id: str, dimension: int) -> None:
    meta = read_meta(uri, meta_table)
    if meta.get("schema_version") != SCHEMA_VERSION:
        raise StoreError(
            f"the index at {uri} has schema version {meta.get('schema_version')!r}, "
            f"this app needs {SCHEMA_VERSION}; run 'desktop-search doctor --repair'"
        )
    if meta.get("model_id") != model_id or meta.get("dimension") != str(dimension):
        raise ModelMismatchError(
            f"the index at {uri} was built with model {meta.get('model_id')!r} "
            f"(dimension {meta.get('dimension')}), not {model_id!r} "
            f"(dimension {dimension}); vectors of different models cannot be mixed. "
            "Switch back to that model, or rebuild the index for this one with "
            "'desktop-search doctor --repair' (folders and settings are kept)"
        )


def read_meta(uri: str, meta_table: Any) -> dict[str, str]:
    """The ``meta`` table as a dict (schema and pipeline versions, model id, dimension)."""
    with reading(uri):
        rows = meta_table.to_arrow().to_pylist()
    return {row["key"]: row["value"] for row in rows}


def destroy(uri: str) -> None:
    """Drop every table at ``uri`` (the rebuild path of ``doctor --repair``).

    A damaged table may not drop cleanly through LanceDB; a local one is then removed as a
    folder, so a repair never stops at the damage it is meant to fix.
    """
    db = lancedb().connect(uri)
    for name in db.list_tables().tables:
        try:
            db.drop_table(name)
        except Exception:
            if "://" in uri:
                raise
            shutil.rmtree(Path(uri) / f"{name}.lance", ignore_errors=True)
    if "://" not in uri:
        for name in TABLES:  # folders LanceDB no longer lists as tables
            shutil.rmtree(Path(uri) / f"{name}.lance", ignore_errors=True)
        (Path(uri) / JOURNAL_NAME).unlink(missing_ok=True)
