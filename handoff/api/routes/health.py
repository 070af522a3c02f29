"""Liveness: the service answers; whether Rasa answers is reported, not required (a
service without its bot still hands every customer to a person)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

router = APIRouter()


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    rasa = getattr(request.app.state, "rasa", None)
    rasa_ok = await rasa.health() if rasa is not None else False
    return {"status": "ok", "rasa": "ok" if rasa_ok else "unavailable"}
