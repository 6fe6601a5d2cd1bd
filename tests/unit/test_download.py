"""Downloads: resume, checksum pinning, atomic placement, HTTPS only."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from desktop_app.engine.download import DownloadCancelled, DownloadError, check_url, download
from tests.helpers.http_server import Payload, serve

BODY = bytes(range(256)) * 4096  # 1 MiB
SHA = hashlib.sha256(BODY).hexdigest()


def test_download_complete_file(tmp_path: Path) -> None:
    payload = Payload(BODY)
    seen: list[tuple[int, int]] = []
    with serve(payload) as url:
        dest = download(
            url,
            tmp_path / "m.gguf",
            sha256=SHA,
            size=len(BODY),
            progress=lambda d, t: seen.append((d, t)),
        )
    assert dest.read_bytes() == BODY
    assert seen[-1] == (len(BODY), len(BODY))
    assert not (tmp_path / "m.gguf.part").exists()


def test_interrupted_transfer_resumes_across_calls(tmp_path: Path) -> None:
    payload = Payload(BODY, cut_after=300_000, cut_requests=1)
    dest = tmp_path / "m.gguf"
    with serve(payload) as url:
        with pytest.raises(DownloadError, match="after 1 attempts"):
            download(url, dest, sha256=SHA, size=len(BODY), retries=0)
        part = tmp_path / "m.gguf.part"
        assert part.stat().st_size == 300_000
        assert not dest.exists()
        download(url, dest, sha256=SHA, size=len(BODY), retries=0)
    assert dest.read_bytes() == BODY
    assert payload.ranges_seen == [None, "bytes=300000-"]


def test_dropped_connection_is_retried_and_resumed(tmp_path: Path) -> None:
    payload = Payload(BODY, cut_after=100_000, cut_requests=2)
    with serve(payload) as url:
        dest = download(url, tmp_path / "m.gguf", sha256=SHA, size=len(BODY), retries=3)
    assert dest.read_bytes() == BODY
    assert payload.ranges_seen == [None, "bytes=100000-", "bytes=200000-"]


def test_server_ignoring_range_restarts_cleanly(tmp_path: Path) -> None:
    (tmp_path / "m.gguf.part").write_bytes(BODY[:5000])
    payload = Payload(BODY, honour_range=False)
    with serve(payload) as url:
        dest = download(url, tmp_path / "m.gguf", sha256=SHA, size=len(BODY))
    assert dest.read_bytes() == BODY


def test_checksum_mismatch_is_rejected_and_leaves_nothing(tmp_path: Path) -> None:
    payload = Payload(BODY)
    with serve(payload) as url, pytest.raises(DownloadError, match="sha256 mismatch"):
        download(url, tmp_path / "m.gguf", sha256="0" * 64, size=len(BODY))
    assert list(tmp_path.iterdir()) == []


def test_wrong_size_is_rejected_and_leaves_nothing(tmp_path: Path) -> None:
    with serve(Payload(BODY[:1000])) as url, pytest.raises(DownloadError, match="expected"):
        download(url, tmp_path / "m.gguf", sha256=SHA, size=len(BODY), retries=0)
    assert list(tmp_path.iterdir()) == []


def test_cancel_keeps_partial_file_for_resume(tmp_path: Path) -> None:
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        cancel.set()

    with serve(Payload(BODY)) as url:
        with pytest.raises(DownloadCancelled):
            download(url, tmp_path / "m.gguf", sha256=SHA, progress=progress, cancel=cancel)
        assert (tmp_path / "m.gguf.part").stat().st_size > 0
        download(url, tmp_path / "m.gguf", sha256=SHA)
    assert (tmp_path / "m.gguf").read_bytes() == BODY


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/model.gguf",
        "ftp://127.0.0.1/x",
        "file:///etc/passwd",
        "http://10.0.0.1/model.gguf",
    ],
)
def test_only_https_or_loopback_http(url: str) -> None:
    with pytest.raises(DownloadError, match="only https"):
        check_url(url)


def test_https_and_loopback_are_allowed() -> None:
    check_url("https://huggingface.co/x.gguf")
    check_url("http://127.0.0.1:8000/x.gguf")
    check_url("http://localhost:8000/x.gguf")
