"""Starts and stops the background processing: the Rasa client and the turn worker."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from handoff.escalation.features import warm_up
from handoff.processing import outbox
from handoff.processing.worker import Worker
from handoff.rasa.client import RasaClient


async def start(app: FastAPI) -> None:
    settings = app.state.settings
    # Seconds once per process, before the first turn rather than during it.
    await run_in_threadpool(warm_up)
    # Tests (and the benchmark) may put their own client in place before start.
    if getattr(app.state, "rasa", None) is None:
        app.state.rasa = RasaClient(
            settings.rasa_url,
            settings.gateway_secret.get_secret_value(),
            settings.rasa_timeout_seconds,
        )
    worker = Worker(
        app,
        poll_seconds=settings.worker_poll_seconds,
        lease_seconds=settings.worker_lease_seconds,
        # Long enough for a turn in progress: a parse and a respond, each up to the timeout.
        grace_seconds=2 * settings.rasa_timeout_seconds + 5,
    )
    app.state.worker = worker
    await worker.start()
    await outbox.start(app)


async def stop(app: FastAPI) -> None:
    worker: Worker | None = getattr(app.state, "worker", None)
    if worker is not None:
        await worker.stop()
    await outbox.stop(app)  # after the worker: its last turns may still queue messages
    rasa: RasaClient | None = getattr(app.state, "rasa", None)
    if rasa is not None:
        await rasa.aclose()
        app.state.rasa = None


def notify(app: FastAPI) -> None:
    worker: Worker | None = getattr(app.state, "worker", None)
    if worker is not None:
        worker.notify()
