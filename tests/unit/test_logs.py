"""The log file handler on a full disk, and names that are not UTF-8 in log lines."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TextIO

import pytest

from desktop_app.logs import PrivateRotatingFileHandler


def _full_disk() -> TextIO:
    """A stream whose every write fails with ENOSPC, as on a full disk."""
    return open("/dev/full", "w", encoding="utf-8")


def test_a_full_disk_warns_once_and_never_prints_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """/dev/full fails every write with ENOSPC, as a full disk does."""
    log_file = tmp_path / "app.log"
    handler = PrivateRotatingFileHandler(log_file, maxBytes=1 << 20, backupCount=1)
    logger = logging.getLogger("test.full_disk")
    logger.propagate = False
    logger.addHandler(handler)
    real_open = handler._open
    try:
        logger.warning("written")
        monkeypatch.setattr(handler, "_open", _full_disk)
        handler.stream.close()
        handler.stream = None
        for i in range(5):
            logger.warning("lost %d", i)
        err = capsys.readouterr().err
        assert "Logging error" not in err and "Traceback" not in err
        assert err.count("cannot write the log file") == 1
        assert "No space left on device" in err

        monkeypatch.setattr(handler, "_open", real_open)
        logger.warning("written again")
        monkeypatch.setattr(handler, "_open", _full_disk)
        handler.stream.close()
        handler.stream = None
        logger.warning("lost again")
        assert capsys.readouterr().err.count("cannot write the log file") == 1  # warned anew
    finally:
        logger.removeHandler(handler)
        handler.close()
    lines = log_file.read_text(encoding="utf-8").splitlines()
    assert lines == ["written", "written again"]


def test_a_name_that_is_not_utf8_is_logged_with_escapes(tmp_path: Path) -> None:
    log_file = tmp_path / "app.log"
    handler = PrivateRotatingFileHandler(log_file, maxBytes=1 << 20, backupCount=1)
    logger = logging.getLogger("test.names")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.warning("skipped %s", os.fsdecode(b"caf\xe9.txt"))
    finally:
        logger.removeHandler(handler)
        handler.close()
    assert log_file.read_text(encoding="utf-8") == "skipped caf\\udce9.txt\n"
