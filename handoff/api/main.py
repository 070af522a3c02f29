"""Mounts one router per area."""

from __future__ import annotations

from fastapi import APIRouter

from handoff.api.routes import (
    agent_console,
    agents,
    analytics,
    auth,
    canned_replies,
    customer,
    health,
    login_page,
    replay,
    site,
    supervisor,
    supervisor_pages,
    whatsapp,
)

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(customer.router)
api_router.include_router(auth.router)
api_router.include_router(agents.router)
api_router.include_router(whatsapp.router)
api_router.include_router(login_page.router)
api_router.include_router(agent_console.router)
api_router.include_router(canned_replies.router)
api_router.include_router(site.router)
api_router.include_router(supervisor.router)
api_router.include_router(supervisor_pages.router)
api_router.include_router(replay.router)
api_router.include_router(analytics.router)
