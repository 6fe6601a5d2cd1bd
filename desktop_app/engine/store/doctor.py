"""The consistency check behind ``doctor``: does the manifest agree with the chunks?

Kept out of the store's read and write paths: it is the one reader that scans every row (ids,
paths and vectors), and what it finds is turned into repair work by the engine, not here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from desktop_app.engine.pathnames import display
from desktop_app.engine.records import STATUS_INDEXED, FileRecord
from desktop_app.engine.store.rows import vectors_of


@dataclass
class DoctorReport:
    """What a check (and, for ``doctor --repair``, a repair) found, for a person or as JSON."""

    files: int = 0
    chunks: int = 0
    problems: list[str] = field(default_factory=list)
    #: Paths whose rows are inconsistent and must be re-indexed.
    bad_paths: set[str] = field(default_factory=set)
    orphan_paths: set[str] = field(default_factory=set)
    #: What a repair did, in words for the user (empty for a plain check).
    actions: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["bad_paths"] = sorted(display(p) for p in self.bad_paths)
        data["orphan_paths"] = sorted(display(p) for p in self.orphan_paths)
        return data


def check(manifest: dict[str, FileRecord], chunks: Any) -> DoctorReport:
    """Compare ``manifest`` with every row of the ``chunks`` table: chunk counts per file,
    chunks without a manifest row, duplicate ids and vectors that are not finite."""
    report = DoctorReport()
    report.files = len(manifest)
    counts: Counter[str] = Counter()
    seen_ids: set[str] = set()
    duplicates = 0
    bad_vectors = 0
    query = chunks.search().select(["id", "path", "vector"]).limit(None)
    for batch in query.to_batches():
        batch_paths = batch.column("path").to_pylist()
        counts.update(batch_paths)
        for chunk, path in zip(batch.column("id").to_pylist(), batch_paths, strict=True):
            if chunk in seen_ids:
                duplicates += 1
                report.bad_paths.add(path)
            seen_ids.add(chunk)
        vectors = vectors_of(batch)
        finite = np.isfinite(vectors).all(axis=1)
        if not finite.all():
            bad_vectors += int((~finite).sum())
            report.bad_paths.update(
                p for p, ok in zip(batch_paths, finite.tolist(), strict=True) if not ok
            )
    report.chunks = sum(counts.values())
    for path, record in manifest.items():
        have = counts.get(path, 0)
        expected = record.chunk_count if record.status == STATUS_INDEXED else 0
        if have != expected:
            report.problems.append(
                f"{display(path)}: manifest says {expected} chunks, index has {have}"
            )
            report.bad_paths.add(path)
    for path in counts.keys() - manifest.keys():
        report.problems.append(f"{display(path)}: {counts[path]} chunks but no manifest row")
        report.orphan_paths.add(path)
    if duplicates:
        report.problems.append(f"{duplicates} duplicate chunk ids")
    if bad_vectors:
        report.problems.append(f"{bad_vectors} vectors are not finite")
    return report
