"""Every setting of the app, declared once with its type, default and bounds.

The JSON file is the user's; we never crash on it. A value that is unknown, of the wrong type or
out of bounds is reported (logged and kept in :attr:`Settings.problems` for the UI) and replaced
by its default. Saves are atomic (write a temp file, fsync, rename) so a crash never leaves a
half-written settings file. The file carries a version number for future migrations.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_app import paths

log = logging.getLogger(__name__)

SETTINGS_VERSION = 1
#: The recognition languages of the bundled OCR model (RapidOCR's PP-OCRv6 small: one model
#: reads both; a language limits the characters it may answer with, see engine/ocr/languages.py).
OCR_LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class Setting:
    """One declared setting. ``check`` adds validation beyond type and numeric bounds."""

    name: str
    type: type
    default: Any
    doc: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    #: For a list: the only strings it may hold (the window shows one check box each).
    items: tuple[str, ...] | None = None
    check: Callable[[Any], bool] | None = None

    def validate(self, value: Any) -> Any:
        """Return ``value`` coerced to this setting's type, or raise ``ValueError``."""
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if self.type is list:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError("expected a list of strings")
            if self.items is not None and not set(value) <= set(self.items):
                raise ValueError(f"not among {', '.join(self.items)}")
        elif self.type is int and isinstance(value, bool):
            raise ValueError("expected a whole number, not true/false")
        elif not isinstance(value, self.type):
            raise ValueError(f"expected {self.type.__name__}, got {type(value).__name__}")
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"below the minimum {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"above the maximum {self.maximum}")
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"not one of {', '.join(map(str, self.choices))}")
        if self.check is not None and not self.check(value):
            raise ValueError("not a valid value")
        return list(value) if isinstance(value, list) else value


def _declare(*settings: Setting) -> dict[str, Setting]:
    return {s.name: s for s in settings}


SETTINGS: dict[str, Setting] = _declare(
    Setting("model_id", str, "", "Embedding model id; empty means the bundled default."),
    Setting(
        "threads",
        int,
        0,
        "CPU threads for embedding while indexing (searches use half); 0: one per core.",
        minimum=0,
        maximum=256,
    ),
    Setting("folders", list, [], "Folders to index and watch."),
    Setting("paused_folders", list, [], "Folders whose indexing is paused (kept searchable)."),
    Setting(
        "keep_running_in_tray",
        bool,
        False,
        "Closing the window keeps indexing in the system tray (where there is one).",
    ),
    Setting("start_minimized", bool, False, "Start with the window minimised."),
    Setting(
        "store_uri",
        str,
        "",
        "Where the index lives: empty for the data dir, or any LanceDB URI "
        "(a folder, s3://bucket/prefix, gs://..., az://...).",
    ),
    Setting(
        "exclude_patterns",
        list,
        [],
        "Extra exclusions in .gitignore syntax, matched relative to each folder.",
    ),
    Setting("skip_hidden", bool, True, "Skip hidden files and folders (names starting with '.')."),
    Setting(
        "follow_symlinks",
        bool,
        False,
        "Follow symbolic links (loops are detected; off by default).",
    ),
    Setting(
        "max_file_size_mb",
        int,
        100,
        "Files larger than this are not indexed.",
        minimum=1,
        maximum=65536,
    ),
    Setting(
        "max_chunks_per_file",
        int,
        5000,
        "Passages indexed per file at most (about a million words); the rest of a longer "
        "file is left out and the file is marked truncated.",
        minimum=1,
        maximum=1_000_000,
    ),
    Setting(
        "extract_timeout_s",
        float,
        60.0,
        "Time limit to extract one file.",
        minimum=1.0,
        maximum=3600.0,
    ),
    Setting(
        "extract_workers", int, 2, "Processes extracting text in parallel.", minimum=1, maximum=32
    ),
    Setting(
        "memory_budget_mb",
        int,
        1536,
        "The app's own memory budget: indexing slows near it and pauses above it.",
        minimum=256,
        maximum=1_048_576,
    ),
    Setting(
        "memory_min_available_mb",
        int,
        512,
        "Indexing pauses while the system has less memory available than this.",
        minimum=64,
        maximum=1_048_576,
    ),
    Setting(
        "distance_metric",
        str,
        "cosine",
        "Vector distance: cosine for normalised embeddings (every catalogue model), dot or l2 "
        "for models whose vectors are not normalised. The ANN index is built for the same one.",
        choices=("cosine", "dot", "l2"),
    ),
    Setting(
        "watch_debounce_s",
        float,
        0.5,
        "Quiet time after the last file event before changes are indexed.",
        minimum=0.05,
        maximum=60.0,
    ),
    Setting(
        "idle_unload_s",
        float,
        90.0,
        "Seconds without indexing or searching after which the model contexts and the "
        "extraction helper processes are unloaded and free memory is returned to the system "
        "(the next search or run loads what it needs again); 0 keeps them loaded.",
        minimum=0.0,
        maximum=86400.0,
    ),
    Setting(
        "ocr_enabled",
        bool,
        True,
        "Read images and scanned PDF pages by OCR (text recognition, on this computer).",
    ),
    Setting(
        "ocr_excluded_folders",
        list,
        [],
        "Folders (and everything below them) whose images and scans are not read by OCR.",
    ),
    Setting(
        "ocr_max_pages",
        int,
        200,
        "Pages read by OCR per file at most; later pages of a longer scan are left out.",
        minimum=1,
        maximum=100_000,
    ),
    Setting(
        "ocr_languages",
        list,
        ["en"],
        "Languages OCR recognises: en (English and other Latin-script languages), zh "
        "(Chinese). OCR answers only in their characters; changing them reads scans again.",
        items=OCR_LANGUAGES,
        check=bool,  # at least one
    ),
    Setting(
        "ocr_page_timeout_s",
        float,
        30.0,
        "Time OCR may take per page (a file gets this times its pages); pages past it are "
        "left out and reported.",
        minimum=1.0,
        maximum=3600.0,
    ),
    Setting(
        "min_relevance",
        float,
        0.5,
        "Results less relevant than this (0 to 1, calibrated against the index) are weak "
        'matches: listed after the others, behind "Show N weaker matches".',
        minimum=0.0,
        maximum=1.0,
    ),
)


@dataclass
class Settings:
    """The current values, plus the problems found while loading them."""

    values: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    path: Path | None = None

    def __getitem__(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        default = SETTINGS[name].default
        return list(default) if isinstance(default, list) else default

    def set(self, name: str, value: Any) -> None:
        """Set a declared setting; raises ``KeyError`` / ``ValueError`` on bad input."""
        if name not in SETTINGS:
            raise KeyError(f"unknown setting {name!r}")
        self.values[name] = SETTINGS[name].validate(value)

    def as_dict(self) -> dict[str, Any]:
        return {name: self[name] for name in SETTINGS}

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        """Read the settings file; a missing file gives defaults, a broken one is reported."""
        path = path or paths.settings_file()
        settings = cls(path=path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return settings
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            settings._report(f"{path}: unreadable settings file ({exc}); using defaults")
            return settings
        if not isinstance(raw, dict):
            settings._report(f"{path}: settings must be a JSON object; using defaults")
            return settings
        raw.pop("version", None)
        for name, value in raw.items():
            if name not in SETTINGS:
                settings._report(f"unknown setting {name!r} ignored")
                continue
            try:
                settings.set(name, value)
            except ValueError as exc:
                settings._report(f"setting {name!r}: {value!r} is invalid ({exc}); using default")
        return settings

    def save(self, path: Path | None = None) -> Path:
        """Write atomically: a reader sees the old file or the new one, never a mix."""
        path = path or self.path or paths.settings_file()
        paths.ensure_dir(path.parent)
        payload = {"version": SETTINGS_VERSION, **self.as_dict()}
        fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(payload, fh, indent=2, sort_keys=True)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.path = path
        return path

    def _report(self, message: str) -> None:
        log.warning("%s", message)
        self.problems.append(message)
