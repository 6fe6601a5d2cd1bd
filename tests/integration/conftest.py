"""Fixtures for engine tests: a real Engine on a temp data dir with the real default model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.engine.models import InstalledModel
from desktop_app.engine.service import Engine
from desktop_app.settings import Settings
from tests.helpers.labelled import DOCUMENTS, write_documents


@pytest.fixture
def engine(default_model: InstalledModel) -> Iterator[Engine]:
    engine = Engine(Settings.load(), model=default_model)
    yield engine
    engine.close()


@pytest.fixture
def labelled(engine: Engine, tmp_path: Path) -> tuple[Engine, Path]:
    """The engine with the labelled set (tests/helpers/labelled.py) indexed under ``corpus``."""
    root = tmp_path / "corpus"
    write_documents(root)
    engine.add_folders([root])
    assert engine.index().indexed == len(DOCUMENTS)
    return engine, root


def hit_paths(engine: Engine, query: str, limit: int = 5) -> list[str]:
    return [hit.path for hit in engine.search(query, limit=limit).results]
