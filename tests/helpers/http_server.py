"""A local HTTP server for download tests: serves one payload, honours Range, can drop
connections part-way (to test resume). Bound to 127.0.0.1 only."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Payload:
    body: bytes
    #: Number of requests to cut short after this many body bytes (then serve normally).
    cut_after: int = 0
    cut_requests: int = 0
    honour_range: bool = True
    ranges_seen: list[str | None] = field(default_factory=list)


@contextmanager
def serve(payload: Payload) -> Iterator[str]:
    """Run the server in a thread; yields the URL of the payload."""

    class Handler(BaseHTTPRequestHandler):
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

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/model.gguf"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def served_catalogue_model(model_id: str, body: bytes) -> Iterator[object]:
    """Serve ``body`` locally and yield a catalogue entry pointing at it (pinned sha256)."""
    import hashlib

    from desktop_app.engine.models import ModelSpec

    with serve(Payload(body)) as url:
        yield ModelSpec(
            model_id,
            f"{model_id}.gguf",
            32,
            48,
            "mean",
            "test model",
            url=url,
            size=len(body),
            sha256=hashlib.sha256(body).hexdigest(),
        )
