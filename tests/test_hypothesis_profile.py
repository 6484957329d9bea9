"""Hypothesis is deterministic in CI: ``tests/conftest.py`` loads the derandomized profile
``ci`` unless ``--hypothesis-profile`` names another (``make fuzz``)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


def test_ci_profile_is_derandomized_without_database_or_deadline() -> None:
    ci = settings.get_profile("ci")
    assert ci.derandomize and ci.database is None and ci.deadline is None


def test_fuzz_profile_draws_fresh_examples() -> None:
    assert not settings.get_profile("fuzz").derandomize


def test_ci_profile_is_active_and_draws_the_same_examples_twice(
    pytestconfig: pytest.Config,
) -> None:
    if pytestconfig.getoption("hypothesis_profile") not in (None, "ci"):
        pytest.skip("another hypothesis profile was asked for (make fuzz)")
    assert settings.default.derandomize and settings.default.database is None
    drawn: list[float] = []

    @settings(max_examples=20)
    @given(st.floats(0.0, 1.0))
    def draw(x: float) -> None:
        drawn.append(x)

    draw()
    first = drawn.copy()
    drawn.clear()
    draw()
    assert first == drawn and len(set(first)) > 1
