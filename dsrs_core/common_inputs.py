"""Which inputs a comparison is computed on (docs/math.md §6, "Same inputs").

Certified accuracy and ACR are averages over inputs: two rows are comparable only over the
same inputs. A comparison (``dsrs compare``, ``GET /v1/compare``, the dashboard, every
export) therefore computes every row by default on the inputs **every** compared row has
(:data:`COMMON`), states that count and how many each row had, and refuses when no input
is common to all rows. On request (:data:`OWN`) each row is computed on all of its own
inputs instead, and the table says so.

An input is identified by a key (a published file's instance index; a job's dataset,
split and dataset index, or its uploaded input set and index). The rule for an input a
source lists twice belongs to the source: published radius files keep the smallest radius
of an index listed twice (:func:`dsrs_cli.published.files.read_radius_file`: a figure may
only err low); a job keeps its first row per input.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

from dsrs_core.errors import InvalidParameterError

__all__ = [
    "COMMON",
    "INPUT_MODES",
    "OWN",
    "InputCoverage",
    "InputMode",
    "NoCommonInputsError",
    "common_inputs",
]

#: Every row on the inputs all rows have (the default).
COMMON = "common"
#: Every row on all of its own inputs (labelled as such).
OWN = "own"
InputMode = Literal["common", "own"]
INPUT_MODES: tuple[str, ...] = (COMMON, OWN)


class NoCommonInputsError(InvalidParameterError):
    """No input is common to every compared row."""


@dataclass(frozen=True)
class InputCoverage:
    """How many inputs each row had, how many all rows share, and which were used.

    ``available``: ``(row name, inputs it had)`` per row, in order; ``common``: inputs every
    row has; ``mode``: :data:`COMMON` or :data:`OWN`."""

    mode: str
    common: int
    available: tuple[tuple[str, int], ...]

    @property
    def same_inputs(self) -> bool:
        """Every row had exactly the common inputs (nothing was dropped)."""
        return all(count == self.common for _, count in self.available)

    def note(self) -> str:
        """One sentence for a table's caption: which inputs, and how many each row had."""
        if self.same_inputs and self.common == 0:
            return "No row has a result yet."
        if self.same_inputs:
            return f"Every row is computed on the same {self.common} inputs."
        had = "; ".join(f"{name}: {count}" for name, count in self.available)
        if self.mode == OWN:
            return (
                f"Each row is computed on its own inputs (rows marked 'own inputs'; {had}); "
                f"only {self.common} inputs are common to every row, so rows over different "
                "inputs are not directly comparable."
            )
        return (
            f"Every row is computed on the {self.common} inputs that every row has "
            f"(inputs each row had: {had})."
        )

    def label(self, method: str, count: int) -> str:
        """``method``, marked when it is computed on its own inputs (not the common ones)."""
        if self.mode == OWN and count != self.common:
            return f"{method} [own inputs: {count}]"
        return method


def common_inputs(
    rows: Sequence[tuple[str, Collection[Hashable]]], mode: str = COMMON
) -> tuple[set[Hashable], InputCoverage]:
    """The inputs every row of ``rows`` (``(name, its input keys)``) has, and the coverage.

    Raises
    ------
    InvalidParameterError
        ``mode`` is not one of :data:`INPUT_MODES`.
    NoCommonInputsError
        In :data:`COMMON` mode, no input is common to every row (or there are no rows).
    """
    if mode not in INPUT_MODES:
        raise InvalidParameterError(f"inputs must be one of {', '.join(INPUT_MODES)}, got {mode!r}")
    if not rows:
        raise NoCommonInputsError("nothing to compare: no rows")
    shared = set(rows[0][1])
    for _, keys in rows[1:]:
        shared &= set(keys)
    coverage = InputCoverage(mode, len(shared), tuple((name, len(set(k))) for name, k in rows))
    if not shared and mode == COMMON:
        had = "; ".join(f"{name}: {count}" for name, count in coverage.available)
        raise NoCommonInputsError(
            f"no input is common to every compared row ({had}): compare rows over the same "
            f"inputs, or ask for each row on its own inputs (inputs={OWN})"
        )
    return shared, coverage
