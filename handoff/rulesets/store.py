"""The active rule set, read once per turn so a published change applies to the next."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handoff.rulesets.defaults import DEFAULT_RULESET, RuleSetData
from handoff.rulesets.models import RuleSet


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
