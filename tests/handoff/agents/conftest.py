from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from tests.handoff.customers import make_app


@pytest.fixture
def app(database_url: str) -> Iterator[FastAPI]:
    app = make_app(database_url)
    yield app
    app.state.engine.dispose()
