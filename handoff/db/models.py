"""Imports every ORM module so ``Base.metadata`` knows all tables (Alembic, tests)."""

from handoff.accounts import models as accounts_models
from handoff.agents import models as agents_models
from handoff.audit import models as audit_models
from handoff.conversations import models as conversations_models
from handoff.db.base import Base
from handoff.feedback import models as feedback_models
from handoff.notify import models as notify_models
from handoff.rulesets import models as rulesets_models

__all__ = [
    "Base",
    "accounts_models",
    "agents_models",
    "audit_models",
    "conversations_models",
    "feedback_models",
    "notify_models",
    "rulesets_models",
]
