"""``GET /v1/compare`` and the dashboard's compare page: jobs side by side with error bars.

The numbers must equal the summary's (same stored rows, same counting rule) and the
intervals those of statsmodels; the page overlays the curves with the legend outside the
plot and highlights the best value of each column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from tests.support.factories import seed_job

ROWS = 40


def _rows(shift: float, wrong_every: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(ROWS):
        radius = 0.05 * (i % 20)
        row: dict[str, Any] = {
            "np_radius": radius,
            "dsrs_radius": radius + shift,
            "p_count": 990 - i,
            "p_n": 1000,
        }
        if i % wrong_every == 0:  # evaluate mode: the label lost the majority under P
            row.update(prediction=None, np_radius=0.0, dsrs_radius=0.0, p_count=300)
        if i % 13 == 5:
            # a majority under P, not enough to certify: benign, but not certified at 0
            row.update(prediction=None, np_radius=0.0, dsrs_radius=0.0, p_count=520)
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def two_jobs(embedded_api: Any) -> tuple[str, str]:
    first = seed_job(embedded_api.session_factory, embedded_api.model_id, _rows(0.1, 7))
    second = seed_job(
        embedded_api.session_factory, embedded_api.model_id, _rows(0.0, 5), uses_q=False
    )
    return first, second


def test_compare_equals_the_summaries_and_the_reference_intervals(embedded_api, two_jobs):
    radii = [0.0, 0.25, 0.5, 0.75]
    answer = embedded_api.client.get(
        "/v1/compare",
        params=[("job_id", two_jobs[0]), ("job_id", two_jobs[1])] + [("radii", r) for r in radii],
    )
    assert answer.status_code == 200, answer.text
    comparison = answer.json()
    assert comparison["radii"] == radii
    assert [job["job_id"] for job in comparison["jobs"]] == list(two_jobs)
    for job in comparison["jobs"]:
        summary = embedded_api.client.get(
            f"/v1/jobs/{job['job_id']}/summary", params=[("radii", r) for r in radii]
        ).json()
        by_kind = {c["kind"]: c for c in job["certificates"]}
        assert by_kind["np"]["baseline"] == "same-run"
        assert [e["value"] for e in by_kind["np"]["accuracy"]] == [
            row["np"] for row in summary["certified_accuracy"]
        ]
        assert by_kind["np"]["acr"]["value"] == pytest.approx(summary["acr_np"], abs=1e-15)
        if summary["acr_dsrs"] is None:
            assert "dsrs" not in by_kind
        else:
            assert [e["value"] for e in by_kind["dsrs"]["accuracy"]] == [
                row["dsrs"] for row in summary["certified_accuracy"]
            ]
            assert by_kind["dsrs"]["acr"]["value"] == pytest.approx(summary["acr_dsrs"])
        for certificate in job["certificates"]:
            for e in certificate["accuracy"]:
                low, high = proportion_confint(
                    round(e["value"] * ROWS), ROWS, alpha=0.05, method="beta"
                )
                assert (e["lower"], e["upper"]) == pytest.approx((low, high), abs=1e-12)
    # ACR interval of the DSRS job, from the stored rows independently of the service
    rows = _rows(0.1, 7)
    counted = [
        0.0 if r.get("prediction", 3) != 3 else max(r["np_radius"], r["dsrs_radius"]) for r in rows
    ]
    low, high = DescrStatsW(counted).tconfint_mean(alpha=0.05)
    acr = next(c for c in comparison["jobs"][0]["certificates"] if c["kind"] == "dsrs")["acr"]
    assert (acr["lower"], acr["upper"]) == pytest.approx((max(low, 0.0), high), abs=1e-12)
    # benign accuracy (evaluate mode: the label takes a majority of the P draws) differs from
    # certified accuracy at 0 (rows 400/1000 < 1/2 abstain; p_count 300 ones too)
    benign = comparison["jobs"][0]["benign"]
    majority = sum(2 * r["p_count"] > r["p_n"] for r in rows)
    assert benign["value"] == majority / ROWS
    certified_at_0 = comparison["jobs"][0]["certificates"][0]["accuracy"][0]["value"]
    assert benign["value"] > certified_at_0


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ([], 422),
        ([("job_id", "0" * 32)], 404),
        ([("tag", "no-job-has-this")], 422),
        ([("name", "no-job-is-called-this")], 422),
        ([("job_id", f"{i:032d}") for i in range(21)], 422),
        ([("job_id", "JOB"), ("confidence", "1.5")], 422),
        ([("job_id", "JOB"), ("radii", "-1")], 422),
        ([("job_id", "JOB"), ("radii", "inf")], 422),
        ([("job_id", "JOB"), ("radii", "nan")], 422),
    ],
)
def test_compare_refusals(embedded_api, two_jobs, params, status):
    params = [(k, two_jobs[0] if v == "JOB" else v) for k, v in params]
    answer = embedded_api.client.get("/v1/compare", params=params)
    assert answer.status_code == status, answer.text
    assert answer.json()["detail"]


def test_compare_refuses_more_rows_than_it_may_read(embedded_api, two_jobs, monkeypatch):
    from dsrs_api.services import job_comparison

    monkeypatch.setattr(job_comparison, "MAX_COMPARED_ROWS", ROWS + 1)
    answer = embedded_api.client.get("/v1/compare", params=[("job_id", j) for j in two_jobs])
    assert answer.status_code == 422 and "at most 41" in answer.json()["detail"]
    assert embedded_api.client.get("/v1/compare", params={"job_id": two_jobs[0]}).status_code == 200


def _tag(embedded_api: Any, job_id: str, tag: str) -> None:
    from dsrs_store.tables import JobRecord

    with embedded_api.session_factory() as session:
        session.get(JobRecord, job_id).tags = [tag]
        session.commit()


@pytest.mark.slow
def test_compare_page_overlays_curves_and_highlights_differences(
    embedded_api, two_jobs, browser, artifacts
):
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(
        f"{embedded_api.base_url}/dashboard/compare?jobs={two_jobs[0]},{two_jobs[1]}&radii=0.25,0.5"
    )
    page.locator("#compare-table tbody tr").nth(2).wait_for()
    rows = page.locator("#compare-table tbody tr")
    assert rows.count() == 3  # DSRS job: NP and DSRS; NP-only job: NP
    comparison = embedded_api.client.get(
        "/v1/compare",
        params=[("job_id", two_jobs[0]), ("job_id", two_jobs[1]), ("radii", 0.25), ("radii", 0.5)],
    ).json()
    dsrs = next(c for c in comparison["jobs"][0]["certificates"] if c["kind"] == "dsrs")
    first_dsrs = page.locator('#compare-table tr[data-certificate="dsrs"] td')
    assert first_dsrs.nth(3).inner_text().startswith(f"{100 * dsrs['accuracy'][0]['value']:.1f}%")
    assert first_dsrs.nth(3).inner_text().count("–") == 1  # value (lower–upper)
    # the best value of a column that differs is highlighted, and only where it is best
    best = page.locator("#compare-table td.best")
    assert best.count() >= 1
    assert "best" in (first_dsrs.nth(3).get_attribute("class") or "")
    # curves: one path per certificate, NP dashed; the legend lies outside the plot
    paths = page.locator("#comparison svg.plot path.series")
    assert paths.count() == 3
    dashes = [paths.nth(i).get_attribute("stroke-dasharray") for i in range(3)]
    assert sorted(d or "" for d in dashes) == ["", "6 4", "6 4"]
    # no markers by default; the legend names each job once and each certificate style once
    assert page.locator("#comparison svg.plot circle.point").count() == 0
    legend = page.locator("#compare-legend").bounding_box()
    plot = page.locator("#comparison svg.plot").bounding_box()
    assert legend["y"] + legend["height"] <= plot["y"]
    assert page.locator("#compare-legend .key").count() == 4  # 2 jobs, DSRS and NP same run
    assert page.locator("#compare-inputs-note").inner_text() == (
        "Every row is computed on the same 40 inputs."
    )
    page.screenshot(path=str(artifacts / "compare.png"), full_page=True)
    # choosing jobs on the page updates the address and the table
    page.locator(f'#compare-picker input[value="{two_jobs[1]}"]').uncheck()
    page.click("#compare-button")
    page.wait_for_function(
        "() => document.querySelectorAll('#compare-table tbody tr').length === 2"
    )
    assert two_jobs[1] not in page.evaluate("location.search")
    # a tag adds the jobs that carry it
    _tag(embedded_api, two_jobs[1], "np-only")
    page.fill("#compare-tag", "np-only")
    page.click("#compare-button")
    page.wait_for_function(
        "() => document.querySelectorAll('#compare-table tbody tr').length === 3"
    )
    assert "tag=np-only" in page.evaluate("location.search")
    assert not errors
    page.close()


@pytest.mark.slow
def test_job_page_headline_names_its_baseline(embedded_api, browser):
    rows = [
        dict(
            row,
            baseline_extra_count=995,
            baseline_extra_n=1000,
            baseline_p_lower=0.985,
            baseline_np_radius=0.05 * (i % 20) + 0.02,
        )
        for i, row in enumerate(_rows(0.1, 7))
    ]
    job_id = seed_job(embedded_api.session_factory, embedded_api.model_id, rows)
    page = browser.new_page()
    page.goto(f"{embedded_api.base_url}/dashboard/jobs/{job_id}")
    page.locator("#accuracy-table").wait_for()
    stats = page.locator(".stat .label").all_inner_texts()
    assert "ACR, NP (equal budget)" in stats and "DSRS ACR gain vs equal-budget NP" in stats
    assert "Benign accuracy" in stats
    assert "null" not in page.locator("main").inner_text()
    assert "NP (equal budget)" in page.locator("#accuracy-table thead").inner_text()
    overview = embedded_api.client.get(f"/v1/dashboard/jobs/{job_id}/overview").json()
    gain = page.locator(".stat", has_text="DSRS ACR gain").locator(".value").inner_text()
    assert float(gain) == pytest.approx(
        overview["acr_dsrs"] - overview["acr_np_equal_budget"], abs=1e-4
    )
    page.close()


def _parses(format_: str, body: bytes) -> None:
    """Each download parses as its format says (issue 22)."""
    import csv
    import io
    from xml.etree import ElementTree

    from PIL import Image

    if format_ == "csv":
        rows = list(csv.DictReader(io.StringIO(body.decode())))
        assert len(rows) == 3 and {"acr", "acr_lower", "available_inputs"} <= set(rows[0])
    elif format_ == "markdown":
        lines = body.decode().splitlines()
        assert lines[2].startswith("| configuration | certificate |") and len(lines) > 6
    elif format_ == "latex":
        text = body.decode()
        assert text.isascii() and r"\begin{tabular}" in text and r"\end{table}" in text
    elif format_ == "png":
        image = Image.open(io.BytesIO(body))
        image.verify()
        assert image.format == "PNG" and image.size[0] >= 900  # 3.4 in at 300 dpi
    else:
        root = ElementTree.fromstring(body)
        assert root.tag.endswith("svg") and len(root.findall(".//{*}path")) >= 3


@pytest.mark.parametrize("format_", ["csv", "markdown", "latex", "png", "svg"])
def test_compare_download_formats(embedded_api, two_jobs, format_):
    answer = embedded_api.client.get(
        "/v1/compare/download",
        params=[("job_id", two_jobs[0]), ("job_id", two_jobs[1]), ("format", format_)],
    )
    assert answer.status_code == 200, answer.text
    assert "attachment" in answer.headers["content-disposition"]
    _parses(format_, answer.content)


def test_compare_download_refuses_an_unknown_format(embedded_api, two_jobs):
    answer = embedded_api.client.get(
        "/v1/compare/download", params={"job_id": two_jobs[0], "format": "docx"}
    )
    assert answer.status_code == 422 and "format" in answer.text


@pytest.mark.slow
def test_compare_and_job_pages_download_every_format(embedded_api, two_jobs, browser):
    page = browser.new_page(accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{embedded_api.base_url}/dashboard/compare?jobs={two_jobs[0]},{two_jobs[1]}")
    page.locator("#compare-table tbody tr").nth(2).wait_for()
    for format_ in ("csv", "markdown", "latex", "png", "svg"):
        with page.expect_download() as info:
            page.click(f"#compare-download-{format_}")
        _parses(format_, Path(info.value.path()).read_bytes())
    page.goto(f"{embedded_api.base_url}/dashboard/jobs/{two_jobs[0]}")
    with page.expect_download() as info:
        page.click("#job-download-latex")
    text = Path(info.value.path()).read_text()
    assert text.isascii() and text.count(r"\\") == 3  # the header and the job's 2 certificates
    assert not errors
    page.close()
