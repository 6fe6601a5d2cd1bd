"""The idle timer (engine/idle.py) and the heap trim it ends with.

No timing asserts: each test waits on events with generous limits, and what is asserted is
whether and how often the release ran, not when.
"""

from __future__ import annotations

import sys
import threading

import pytest

from desktop_app.engine import memory
from desktop_app.engine.idle import IdleReleaser

WAIT_S = 30.0


class Releases:
    """A release callback that counts its calls and can be held inside one."""

    def __init__(self) -> None:
        self.count = 0
        self.called = threading.Event()
        self.proceed = threading.Event()
        self.proceed.set()

    def __call__(self) -> None:
        self.count += 1
        self.called.set()
        assert self.proceed.wait(WAIT_S)


def test_a_quiet_period_after_activity_releases_once() -> None:
    releases = Releases()
    idle = IdleReleaser(releases, lambda: 0.05)
    try:
        assert not idle.waiting  # no activity yet: no thread
        idle.touch()
        assert releases.called.wait(WAIT_S)
        idle.close()  # joins the thread, which ends after its one release
        assert releases.count == 1
        assert not idle.waiting
    finally:
        idle.close()


def test_activity_during_a_release_is_waited_out_again() -> None:
    releases = Releases()
    releases.proceed.clear()
    idle = IdleReleaser(releases, lambda: 0.05)
    try:
        idle.touch()
        assert releases.called.wait(WAIT_S)  # first release, held inside the callback
        releases.called.clear()
        idle.touch()  # a run ends while the release is still going
        assert idle.waiting
        releases.proceed.set()
        assert releases.called.wait(WAIT_S)
        idle.close()
        assert releases.count == 2
    finally:
        releases.proceed.set()
        idle.close()


def test_zero_disables_and_close_stops_a_wait() -> None:
    releases = Releases()
    delay = [0.0]
    idle = IdleReleaser(releases, lambda: delay[0])
    idle.touch()
    assert not idle.waiting  # 0: keep everything loaded, no thread at all
    delay[0] = 3600.0
    idle.touch()
    assert idle.waiting
    idle.close()  # returns although the hour has not passed
    assert not idle.waiting
    assert releases.count == 0
    idle.touch()  # after close, activity starts nothing
    assert not idle.waiting


def test_a_failing_release_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    done = threading.Event()

    def release() -> None:
        done.set()
        raise RuntimeError("boom")

    idle = IdleReleaser(release, lambda: 0.01)
    idle.touch()
    assert done.wait(WAIT_S)
    idle.close()
    assert "releasing idle memory failed" in caplog.text


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_trim_runs_on_glibc() -> None:
    assert memory.trim_malloc() is True


def test_trim_elsewhere_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert memory.trim_malloc() is False
