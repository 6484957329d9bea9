"""Waiting in tests: read a state until a condition holds. The deadline only bounds a hang
(a generous one: the machine may be slow and shared); no test asserts after a fixed sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["wait_until"]

T = TypeVar("T")


def wait_until(
    read: Callable[[], T],
    until: Callable[[T], object] = bool,
    *,
    timeout: float = 120.0,
    interval: float = 0.05,
    describe: Callable[[T], object] = repr,
) -> T:
    """``read()`` again every ``interval`` seconds until ``until(value)`` is true; returns
    that value. Raises AssertionError, with ``describe`` of the last value, when ``timeout``
    seconds pass first."""
    deadline = time.monotonic() + timeout
    value = read()
    while not until(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout:g} s; last: {describe(value)}")
        time.sleep(interval)
        value = read()
    return value
