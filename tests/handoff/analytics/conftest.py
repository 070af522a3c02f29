from tests.handoff.history import session  # noqa: F401  (a fixture)
