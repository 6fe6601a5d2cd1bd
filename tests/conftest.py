"""Shared fixtures: every test gets its own data dir; the real default model is shared."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app import paths
from desktop_app.engine.models import CATALOGUE, DEFAULT_MODEL_ID, InstalledModel, model_from_file
from desktop_app.settings import SETTINGS

# Fails a test that reads beside the checkout: a fresh clone has nothing there.
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


@pytest.fixture(autouse=True, scope="session")
def app_memory_budget_is_the_test_sessions() -> Iterator[None]:
    """Lift the default memory budget to its maximum for the suite.

    The governor compares *this process's* RSS with the budget (1.5 GB by default), and in a
    test session that process holds every earlier test's leftovers too (Arrow pools, model
    contexts not yet collected): a long run on a loaded machine passed the budget and an
    indexing test then waited forever for memory to recover. The governor's own tests fake
    the readings and set their budgets explicitly.

    Session-scoped, so it is in place before any module-scoped fixture runs: when it was
    per test, ``test_damaged_store``'s module fixture indexed under the default budget, found
    the session at 1.6 GB and paused for memory for good (the CI run that timed out).
    """
    budget = SETTINGS["memory_budget_mb"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(
            SETTINGS,
            "memory_budget_mb",
            dataclasses.replace(budget, default=int(budget.maximum or 0)),
        )
        yield


@pytest.fixture(scope="session")
def default_model() -> InstalledModel:
    """The real bundled all-MiniLM-L6-v2 GGUF that `make test` provisions before the suite."""
    path = paths.bundled_models_dir() / CATALOGUE[DEFAULT_MODEL_ID].filename
    if not path.is_file():
        raise RuntimeError(
            f"{path} is missing: run 'make test' (or 'desktop-search models install-default')"
        )
    return model_from_file(path, bundled=True)
