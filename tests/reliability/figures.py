"""Figures the reliability tests produce for docs/RELIABILITY.md (never written by hand).

A test calls :func:`record` with what it tried and what survived. The figures are written to
``docs/reliability/<name>.json`` only when ``DS_RECORD_FIGURES=1`` (``make soak`` sets it), so
an ordinary ``make test`` leaves the tracked files alone; ``python -m tests.reliability.report``
then renders docs/RELIABILITY.md from them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

FIGURES_DIR = Path(__file__).resolve().parents[2] / "docs" / "reliability"
RECORD_ENV = "DS_RECORD_FIGURES"


def record(name: str, title: str, summary: str, figures: dict[str, Any]) -> Path | None:
    """Keep ``figures`` (flat name -> number/text) under ``name``; a no-op unless recording."""
    if os.environ.get(RECORD_ENV) != "1":
        return None
    FIGURES_DIR.mkdir(parents=True, exist_ok=True)
    path = FIGURES_DIR / f"{name}.json"
    payload = {
        "title": title,
        "summary": summary,
        "recorded": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "figures": figures,
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


class Sheet:
    """One figures file that several tests (or parameters) of a module add to."""

    def __init__(self, name: str, title: str, summary: str) -> None:
        self.name, self.title, self.summary = name, title, summary
        self.figures: dict[str, Any] = {}

    def add(self, figures: dict[str, Any]) -> None:
        """Merge ``figures`` with what the other tests added, and record them all."""
        self.figures.update(figures)
        record(self.name, self.title, self.summary, dict(self.figures))

    def count(self, name: str, n: int = 1) -> None:
        """Add ``n`` to a figure that several tests (or parameters) contribute to."""
        self.add({name: self.figures.get(name, 0) + n})
