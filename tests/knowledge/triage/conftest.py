from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.triage import Triager


@pytest.fixture(scope="session")
def triage_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Example embeddings cached once per test session (never in the user's home)."""
    return tmp_path_factory.mktemp("triage-cache")


@pytest.fixture(scope="session")
def triager(triage_cache: Path) -> Triager:
    """The shared offline triager. Tests that teach it corrections build their own."""
    return Triager(cache_dir=triage_cache)
