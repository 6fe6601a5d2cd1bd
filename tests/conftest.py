"""Shared fixtures: every test gets its own data dir; the real default model is shared."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app import paths
from desktop_app.engine.models import CATALOGUE, DEFAULT_MODEL_ID, InstalledModel, model_from_file

# Fails a test that reads beside the checkout (../shared): a fresh clone has nothing there.
pytest_plugins = ["tests.helpers.outside_reads"]

#: Test data kept in the repository (nothing under `make test` reads outside the checkout).
DATA_DIR = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def app_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Redirect every user path (data, config, cache, logs) into a fresh temp folder."""
    home = tmp_path / "home"
    monkeypatch.setenv(paths.HOME_ENV, str(home))
    paths.set_home(None)
    yield home
    paths.set_home(None)


@pytest.fixture(scope="session")
def default_model() -> InstalledModel:
    """The real bundled all-MiniLM-L6-v2 GGUF that `make test` provisions before the suite."""
    path = paths.bundled_models_dir() / CATALOGUE[DEFAULT_MODEL_ID].filename
    if not path.is_file():
        raise RuntimeError(
            f"{path} is missing: run 'make test' (or 'desktop-search models install-default')"
        )
    return model_from_file(path, bundled=True)
