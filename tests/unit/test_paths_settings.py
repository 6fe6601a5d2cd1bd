"""Paths (one override moves everything, nothing created early) and settings (never crash)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from desktop_app import paths
from desktop_app.settings import SETTINGS, Settings


def test_env_override_moves_every_path(app_home: Path) -> None:
    for getter in (paths.data_dir, paths.config_dir, paths.cache_dir, paths.log_dir):
        assert getter().is_relative_to(app_home)
    assert paths.settings_file().parent == paths.config_dir()


def test_flag_override_wins_over_env(tmp_path: Path, app_home: Path) -> None:
    paths.set_home(tmp_path / "flag")
    assert paths.data_dir() == (tmp_path / "flag" / "data").resolve()


def test_nothing_created_until_asked(app_home: Path) -> None:
    paths.data_dir(), paths.log_dir(), paths.user_models_dir()
    assert not app_home.exists()
    made = paths.ensure_dir(paths.data_dir())
    assert made.is_dir()
    assert stat.S_IMODE(made.stat().st_mode) == 0o700


def test_defaults_without_file() -> None:
    settings = Settings.load()
    assert settings.problems == []
    assert settings.as_dict() == {name: s.default for name, s in SETTINGS.items()}


def test_save_and_load_round_trip() -> None:
    settings = Settings.load()
    settings.set("threads", 3)
    settings.set("folders", ["/a", "/b"])
    path = settings.save()
    loaded = Settings.load()
    assert loaded["threads"] == 3
    assert loaded["folders"] == ["/a", "/b"]
    assert json.loads(path.read_text())["version"] == 1
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]  # no temp file left


def test_invalid_and_unknown_values_are_reported_and_defaulted() -> None:
    path = paths.settings_file()
    paths.ensure_dir(path.parent)
    path.write_text(
        json.dumps({"threads": -4, "model_id": 7, "folders": "not a list", "no_such_setting": True})
    )
    settings = Settings.load()
    assert settings["threads"] == 0
    assert settings["model_id"] == ""
    assert settings["folders"] == []
    assert len(settings.problems) == 4
    assert any("no_such_setting" in p for p in settings.problems)


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", "\xff\xfe garbage"])
def test_broken_settings_file_gives_defaults(content: str) -> None:
    path = paths.settings_file()
    paths.ensure_dir(path.parent)
    path.write_text(content, encoding="latin-1")
    settings = Settings.load()
    assert settings.as_dict()["threads"] == 0
    assert len(settings.problems) == 1


def test_set_rejects_bad_values() -> None:
    settings = Settings.load()
    with pytest.raises(ValueError, match="maximum"):
        settings.set("threads", 10_000)
    with pytest.raises(ValueError):
        settings.set("threads", True)
    with pytest.raises(KeyError):
        settings.set("nope", 1)
