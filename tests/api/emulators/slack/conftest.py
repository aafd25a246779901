"""Fixtures: a workspace wired to a real Bolt app (see bolt_bot.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.emulators.slack.bolt_bot import Wired, wired_workspace


@pytest.fixture(scope="module")
def wired() -> Iterator[Wired]:
    with wired_workspace() as w:
        yield w
