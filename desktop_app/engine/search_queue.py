"""Searches on a thread of their own, newest first: typing never waits for stale queries.

A person typing sends a query every pause; only the newest one matters. So requests are not
queued: a newer request replaces the one not started yet, and each answer carries the id of its
request, so the front end can drop an answer overtaken by newer typing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from desktop_app.engine.errors import UserFacingError
from desktop_app.engine.events import EngineEvent, SearchDone, SearchFailed

if TYPE_CHECKING:
    from desktop_app.engine.query import Filters
    from desktop_app.engine.service import Engine

log = logging.getLogger(__name__)

#: How long the search thread sleeps between looks at the stop flag when nothing is asked.
IDLE_WAIT_S = 0.5


#: A request: its id, the text (a file's path for "similar"), the mode ("hybrid", "vector",
#: "keyword" or "similar") and the filters.
_Request = tuple[int, str, str, "Filters | None"]


class SearchQueue:
    """Holds at most one request not started yet; :meth:`serve` answers them in turn."""

    def __init__(
        self,
        engine: Callable[[], Engine | None],
        on_event: Callable[[EngineEvent], None],
        is_damage: Callable[[BaseException], bool],
    ) -> None:
        self._engine = engine
        self._emit = on_event
        self._is_damage = is_damage
        self._lock = threading.Condition()
        self._pending: _Request | None = None
        self._last_id = 0

    def search(self, query: str, mode: str = "hybrid", filters: Filters | None = None) -> int:
        """Ask for a search; returns the id its answer (SearchDone or SearchFailed) carries."""
        return self._ask(query, mode, filters)

    def similar(self, path: str) -> int:
        """Ask for the files most like ``path`` ("more like this")."""
        return self._ask(path, "similar", None)

    def _ask(self, text: str, mode: str, filters: Filters | None) -> int:
        with self._lock:
            self._last_id += 1
            self._pending = (self._last_id, text, mode, filters)
            self._lock.notify()
            return self._last_id

    def wake(self) -> None:
        """Have :meth:`serve` look at its stop flag now (shutdown)."""
        with self._lock:
            self._lock.notify_all()

    def serve(self, stop: threading.Event) -> None:
        """Answer requests until ``stop`` is set (the runner's search thread)."""
        while not stop.is_set():
            with self._lock:
                while self._pending is None and not stop.is_set():
                    self._lock.wait(IDLE_WAIT_S)
                if stop.is_set():
                    return
                request = self._pending
                self._pending = None
            assert request is not None
            self._answer(request)

    def _answer(self, request: _Request) -> None:
        request_id, text, mode, filters = request
        engine = self._engine()
        if engine is None:
            self._emit(SearchFailed(request_id, "the search engine is still starting"))
            return
        try:
            if mode == "similar":
                response = engine.similar(text)
            else:
                response = engine.search(text, mode=mode, filters=filters)
        except Exception as exc:
            if not isinstance(exc, UserFacingError):
                log.exception("search failed")
            self._emit(SearchFailed(request_id, str(exc), self._is_damage(exc)))
            return
        self._emit(SearchDone(request_id, response))
