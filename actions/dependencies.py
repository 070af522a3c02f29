"""What actions reach outside themselves for: the backend and the clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from actions import dates
from actions.backend import Backend, get_backend


class UsesBackendAndClock:
    """Backend and clock as constructor parameters, so that tests can pass their own;
    rasa-sdk instantiates actions without arguments, which gives the real ones."""

    def __init__(
        self, backend: Backend | None = None, today: Callable[[], date] | None = None
    ) -> None:
        self._backend = backend
        self._today = today or dates.today

    @property
    def backend(self) -> Backend:
        return self._backend if self._backend is not None else get_backend()
