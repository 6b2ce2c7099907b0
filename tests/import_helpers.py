"""Helpers shared by the importer tests: where the real datasets are, skipping without them."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def real(relative: str) -> Path:
    """The path of a real dataset file, or skip the test with the reason."""
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"real dataset absent: {path}")
    return path
