"""Proof mode in the command line's tables (``jobs results --rows``, ``jobs results``,
``jobs show``) and in the report of recertify / certify-local / reproduce."""

from __future__ import annotations

import pytest

from dsrs_cli.tables.proof import proof_report_lines
from dsrs_cli.tables.results import print_samples, print_summary
from tests.cli.test_export_formats import row


def proof(outcome: str, radius: float | None, lower: float | None, seconds: float) -> dict:
    return {
        "check_outcome": outcome,
        "proven_np_radius": radius,
        "proof_margin_lower": lower,
        "proof_margin_upper": None if lower is None else 2 * lower,
        "proof_seconds": seconds,
    }


def test_rows_show_outcome_radius_and_enclosure(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    rows = [row(0, **proof("fell back", 0.49999, 2e-6, 1.25)), row(1)]
    print_samples(rows)
    out = " ".join(capsys.readouterr().out.split())
    assert "fell back" in out and "0.5000" in out and "+2.00e-06" in out and "1.25" in out


def test_the_summary_counts_the_outcomes(capsys: pytest.CaptureFixture[str]) -> None:
    from dsrs_client.contract import Summary

    outcomes = {"proven": 2, "fell back": 5, "not proven": 1, "not covered": 0}
    summary = Summary(
        job_id="j",
        status="succeeded",
        samples=8,
        total=8,
        labelled=True,
        metric="certified_accuracy",
        abstain_rate=0.0,
        certified_accuracy=[],
        acr_np=0.5,
        acr_dsrs=None,
        proof_outcomes=outcomes,
    )
    print_summary(summary)
    out = " ".join(capsys.readouterr().out.split())
    assert "2 proven, 5 fell back, 1 not proven, 0 not covered" in out


def test_the_report_finds_a_proven_radius_without_an_enclosure_above_zero() -> None:
    rows = [proof("proven", 1.0, 3e-9, 0.5), proof("fell back", 0.9, -1e-9, 2.5)]
    rows.append(proof("not proven", None, None, 60.0))
    lines = proof_report_lines(rows)
    assert "1 proven, 1 fell back, 1 not proven, 0 not covered" in lines[0]
    assert "proven without a lower end above 0: 1" in lines[1]
    assert "median 2.50" in lines[2] and "max 60.00" in lines[2]
