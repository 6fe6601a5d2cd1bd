"""Fixtures for engine tests: a real Engine on a temp data dir with the real default model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from desktop_app.engine.models import InstalledModel
from desktop_app.engine.service import Engine
from desktop_app.settings import Settings


@pytest.fixture
def engine(default_model: InstalledModel) -> Iterator[Engine]:
    engine = Engine(Settings.load(), model=default_model)
    yield engine
    engine.close()


def hit_paths(engine: Engine, query: str, limit: int = 5) -> list[str]:
    return [hit.path for hit in engine.search(query, limit=limit).results]
