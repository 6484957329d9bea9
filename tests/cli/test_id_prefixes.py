"""Unique id prefixes on the command line: resolved against the caller's lists."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import typer

from dsrs_cli.id_prefixes import resolve_id


@dataclass
class Item:
    id: str


class Lists:
    """The three list calls of the client over fixed ids (paging as the service does)."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids

    def _page(self, *, limit: int, offset: int) -> list[Item]:
        return [Item(i) for i in self.ids[offset : offset + limit]]

    list_models = list_input_sets = list_jobs = _page


IDS = ["ab12" + "0" * 28, "ab13" + "1" * 28, "cd" + "2" * 30]


def test_a_unique_prefix_gives_the_full_id() -> None:
    assert resolve_id(Lists(IDS), "job", "AB12") == IDS[0]  # type: ignore[arg-type]
    assert resolve_id(Lists(IDS), "model", "c") == IDS[2]  # type: ignore[arg-type]


def test_a_full_id_is_passed_on_without_a_lookup() -> None:
    assert resolve_id(Lists([]), "job", IDS[0]) == IDS[0]  # type: ignore[arg-type]


def test_the_prefix_is_found_beyond_the_first_page() -> None:
    many = [f"{i:032x}" for i in range(2500)] + ["f" * 32]
    assert resolve_id(Lists(many), "input set", "fff") == "f" * 32  # type: ignore[arg-type]


@pytest.mark.parametrize(("given", "message"), [("ab1", "matches several"), ("ff", "no job id")])
def test_ambiguous_or_unknown_prefixes_exit_with_one_line(
    given: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(typer.Exit) as exit_info:
        resolve_id(Lists(IDS), "job", given)  # type: ignore[arg-type]
    assert exit_info.value.exit_code == 1
    assert message in capsys.readouterr().err
