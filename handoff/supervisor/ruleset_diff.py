"""What changed between two rule-set versions, as field paths with the old and new
value. Pure: two dumped rule sets in, a list out."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Change(BaseModel):
    path: str  # dotted, e.g. "thresholds.low_confidence" or "backstop_phrases.nl"
    old: Any = None  # None: the field did not exist before
    new: Any = None  # None: the field no longer exists


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Changes in path order. Objects are compared key by key; a list or a plain value
    is one field, so a phrase added to a list shows the whole list before and after
    (what a supervisor reads, rather than an index that shifted)."""
    changes: list[Change] = []
    _walk(old, new, "", changes)
    return changes


def _walk(old: Any, new: Any, prefix: str, changes: list[Change]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            path = f"{prefix}{key}"
            if key not in old:
                changes.append(Change(path=path, old=None, new=new[key]))
            elif key not in new:
                changes.append(Change(path=path, old=old[key], new=None))
            else:
                _walk(old[key], new[key], f"{path}.", changes)
        return
    if old != new:
        changes.append(Change(path=prefix.removesuffix("."), old=old, new=new))
