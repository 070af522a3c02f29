"""Placeholder: being written (lifecycle sweeps start/stop)."""

from fastapi import FastAPI


async def start(app: FastAPI) -> None:
    return None


async def stop(app: FastAPI) -> None:
    return None
