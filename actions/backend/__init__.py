"""The organisation's systems, seen through one adapter interface."""

from actions.backend.adapter import (
    Address,
    Backend,
    BackendError,
    Contract,
    Customer,
    MeterReading,
    get_backend,
)

__all__ = [
    "Address",
    "Backend",
    "BackendError",
    "Contract",
    "Customer",
    "MeterReading",
    "get_backend",
]
