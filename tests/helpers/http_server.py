"""A local HTTP server for download tests: serves one payload, honours Range, can drop
connections part-way (to test resume). Bound to 127.0.0.1 only."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop_app.engine.models import ModelSpec


@dataclass
class Payload:
    body: bytes
    #: Number of requests to cut short after this many body bytes (then serve normally).
    cut_after: int = 0
    cut_requests: int = 0
    honour_range: bool = True
    ranges_seen: list[str | None] = field(default_factory=list)


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing (the test output stays readable)."""

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def running(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve with ``handler`` on a free loopback port in a thread; yields the base URL
    (``http://127.0.0.1:<port>``). The server is shut down and closed on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def serve(payload: Payload) -> Iterator[str]:
    """Run the server in a thread; yields the URL of the payload."""

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            header = self.headers.get("Range")
            payload.ranges_seen.append(header)
            start = 0
            if header and payload.honour_range:
                start = int(header.removeprefix("bytes=").split("-")[0])
            if start >= len(payload.body) and start:
                self.send_response(416)
                self.end_headers()
                return
            body = payload.body[start:]
            self.send_response(206 if start else 200)
            if start:
                self.send_header(
                    "Content-Range", f"bytes {start}-{len(payload.body) - 1}/{len(payload.body)}"
                )
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if payload.cut_requests > 0:
                payload.cut_requests -= 1
                self.wfile.write(body[: payload.cut_after])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    with running(Handler) as base:
        yield f"{base}/model.gguf"


def pinned_spec(model_id: str, url: str, body: bytes, description: str = "test model") -> ModelSpec:
    """A catalogue entry for ``body`` at ``url``, pinned to its size and sha256."""
    import hashlib

    from desktop_app.engine.models import ModelSpec

    return ModelSpec(
        model_id,
        f"{model_id}.gguf",
        32,
        48,
        "mean",
        description,
        url=url,
        size=len(body),
        sha256=hashlib.sha256(body).hexdigest(),
    )


@contextmanager
def served_catalogue_model(model_id: str, body: bytes) -> Iterator[object]:
    """Serve ``body`` locally and yield a catalogue entry pointing at it (pinned sha256)."""
    with serve(Payload(body)) as url:
        yield pinned_spec(model_id, url, body)
