"""Refused WebSocket handshakes without a false error in the server log.

A staff socket without a valid session is refused with a real HTTP status (401/403,
the ASGI denial-response extension, ``deps._deny``). uvicorn's websockets-sansio
protocol (0.54) sends that response but never marks the handshake as done, so when the
handler returns it logs "ASGI callable returned without completing handshake." at ERROR
for every refusal: every console left open past its session's expiry, every probe. The
wsproto protocol does not, and an upstream fix is open (Kludex/uvicorn#3138). Until it
lands, the handler marks its refusal here and a filter on ``uvicorn.error`` drops that
one message for that one connection; a handler that really returns without a handshake
still logs.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

UVICORN_LOGGER = "uvicorn.error"
INCOMPLETE_HANDSHAKE = "ASGI callable returned without completing handshake."

# uvicorn awaits the application in the connection's own task and logs in that task
# after it returns, so a value set while handling the handshake is still seen then.
_refused: ContextVar[bool] = ContextVar("handshake_refused", default=False)


def mark_refused() -> None:
    _refused.set(True)


class RefusedHandshakeFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.getMessage() == INCOMPLETE_HANDSHAKE and _refused.get())


def install() -> None:
    """Idempotent: an app factory may run more than once in a process."""
    logger = logging.getLogger(UVICORN_LOGGER)
    if not any(isinstance(f, RefusedHandshakeFilter) for f in logger.filters):
        logger.addFilter(RefusedHandshakeFilter())
