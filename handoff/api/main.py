"""Mounts one router per area."""

from __future__ import annotations

from fastapi import APIRouter

from handoff.api.routes import agents, auth, customer, health, login_page

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(customer.router)
api_router.include_router(auth.router)
api_router.include_router(agents.router)
api_router.include_router(login_page.router)
