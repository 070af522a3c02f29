"""Imports every ORM module so ``Base.metadata`` knows all tables (Alembic, tests)."""

from handoff.accounts import models as accounts_models
from handoff.audit import models as audit_models
from handoff.conversations import models as conversations_models
from handoff.db.base import Base
from handoff.rulesets import models as rulesets_models

__all__ = ["Base", "accounts_models", "audit_models", "conversations_models", "rulesets_models"]
