"""The active rule set, read once per turn so a published change applies to the next;
publishing a new version, validated on save."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handoff.audit.record import record
from handoff.rulesets.defaults import (
    DEFAULT_RULESET,
    TEXT_KEYS,
    MissingTexts,
    RuleSetData,
    missing_texts,
)
from handoff.rulesets.models import RuleSet


class RuleSetInvalid(ValueError):
    """A rule set that may not be published, with every problem found (each with its
    path, e.g. "thresholds.low_confidence: ...")."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid rule set:\n" + "\n".join(problems))
        self.problems = problems


def active_ruleset(session: Session) -> tuple[int, RuleSetData]:
    """(version, data) of the active rule set; seeds version 1 from the defaults when
    the database has none yet."""
    row = session.scalar(
        select(RuleSet).where(RuleSet.active.is_(True)).order_by(RuleSet.version.desc()).limit(1)
    )
    if row is None:
        row = _seed_default(session)
    return row.version, RuleSetData.model_validate(row.data)


def _seed_default(session: Session) -> RuleSet:
    any_row = session.scalar(select(RuleSet).limit(1))
    if any_row is not None:
        # Rule sets exist but none is active: fall back to the defaults without writing,
        # a supervisor's drafts must not be overwritten by a turn.
        return RuleSet(version=0, data=DEFAULT_RULESET.model_dump(mode="json"), active=False)
    try:
        with session.begin_nested():
            row = RuleSet(version=1, data=DEFAULT_RULESET.model_dump(mode="json"), active=True)
            session.add(row)
    except IntegrityError:
        # Another worker seeded it at the same moment; theirs is as good as ours.
        existing = session.scalar(select(RuleSet).where(RuleSet.version == 1))
        assert existing is not None
        return existing
    return row


def validation_problems(data: Any) -> list[str]:
    """Every reason `data` is not a publishable rule set; empty when it is.

    Stricter than loading: unknown keys are refused here (a typo must not be silently
    ignored), while stored rule sets keep loading when a later version adds a field."""
    if not isinstance(data, dict):
        return ["(root): a rule set is an object"]
    problems = _unknown_keys(RuleSetData, data, "")
    texts = data.get("texts")
    if isinstance(texts, dict):
        problems += [f"texts.{key}: unknown system text" for key in texts if key not in TEXT_KEYS]
    problems += [f"texts.{key}.{lang}: missing" for key, lang in missing_texts(texts)]
    try:
        RuleSetData.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            if isinstance(error.get("ctx", {}).get("error"), MissingTexts):
                continue  # listed per text above
            path = ".".join(str(part) for part in error["loc"]) or "(root)"
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{path}: {message}")
    return problems


def _unknown_keys(model: type[BaseModel], data: dict[str, Any], prefix: str) -> list[str]:
    problems = []
    for key, value in data.items():
        field = model.model_fields.get(key)
        if field is None:
            problems.append(f"{prefix}{key}: unknown key")
            continue
        nested = field.annotation
        if isinstance(nested, type) and issubclass(nested, BaseModel) and isinstance(value, dict):
            problems += _unknown_keys(nested, value, f"{prefix}{key}.")
    return problems


def publish(session: Session, *, data: dict[str, Any], account_id: int | None) -> int:
    """Stores `data` as a new version and activates it (the previous one no longer is);
    raises RuleSetInvalid listing every problem, the active set unchanged. The caller
    commits."""
    problems = validation_problems(data)
    if problems:
        raise RuleSetInvalid(problems)
    rules = RuleSetData.model_validate(data)
    previous = session.scalar(select(RuleSet.version).where(RuleSet.active.is_(True)))
    version = int(session.scalar(select(func.max(RuleSet.version))) or 0) + 1
    session.execute(update(RuleSet).where(RuleSet.active.is_(True)).values(active=False))
    session.add(
        RuleSet(
            version=version,
            data=rules.model_dump(mode="json"),
            created_by=account_id,
            active=True,
        )
    )
    record(
        session,
        action="ruleset.publish",
        account_id=account_id,
        object_type="ruleset",
        object_id=version,
        details={"previous_version": previous},
    )
    session.flush()
    return version


class VersionNotFound(LookupError):
    """No rule set with that version number."""


def versions(session: Session) -> list[RuleSet]:
    """Every stored version, newest first."""
    return list(session.scalars(select(RuleSet).order_by(RuleSet.version.desc())))


def version_data(session: Session, version: int) -> RuleSetData:
    """A stored version's rules, in today's shape (older shapes are upgraded on load)."""
    row = session.scalar(select(RuleSet).where(RuleSet.version == version))
    if row is None:
        raise VersionNotFound(version)
    return RuleSetData.model_validate(row.data)


def restore(session: Session, *, version: int, account_id: int | None) -> int:
    """Publishes an earlier version's rules again as a new version (history is never
    rewritten), audited as a restore. The caller commits."""
    data = version_data(session, version).model_dump(mode="json")
    new_version = publish(session, data=data, account_id=account_id)
    record(
        session,
        action="ruleset.restore",
        account_id=account_id,
        object_type="ruleset",
        object_id=new_version,
        details={"restored_version": version},
    )
    session.flush()
    return new_version
