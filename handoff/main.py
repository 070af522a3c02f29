"""The application factory: wires settings, storage, broadcaster, routes and the
background work (turn worker, outbox, lifecycle sweeps) together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from handoff.api import denied_handshakes
from handoff.api.headers import SecurityHeaders
from handoff.api.main import api_router
from handoff.api.pages import install_page_handlers
from handoff.api.templating import STATIC_DIR
from handoff.broadcast.factory import make_broadcaster
from handoff.core.config import Settings, get_settings
from handoff.db.session import make_engine, make_sessionmaker
from handoff.lifecycle import sweeper
from handoff.notify import delivery
from handoff.processing import runtime


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    denied_handshakes.install()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await app.state.broadcaster.start()
        await runtime.start(app)
        await sweeper.start(app)
        try:
            yield
        finally:
            await sweeper.stop(app)
            await runtime.stop(app)
            await delivery.finish_sending(app)
            await app.state.broadcaster.stop()
            engine.dispose()

    app = FastAPI(title="Handoff service", lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.broadcaster = make_broadcaster(settings)
    app.add_middleware(SecurityHeaders)
    # The widget on the organisation's own site (another origin) starts conversations
    # and leaves e-mail addresses with fetch; only the configured origins may, and
    # without credentials: the customer's tokens travel in headers, not cookies.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "X-Contact-Token", "X-Conversation-Token"],
    )
    install_page_handlers(app)
    app.include_router(api_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
