"""Fixtures of the client's unit tests (the fake server itself is in ``fakenox``)."""

import pytest
from fakenox import FakeNox


@pytest.fixture
def fake() -> FakeNox:
    return FakeNox()
