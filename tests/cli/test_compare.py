"""``dsrs compare --published``: the DSRS paper's comparison from the published radius files,
with error bars, in the paper's table layout (terminal, Markdown, LaTeX, CSV)."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import subprocess

import pytest
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from tests.dsrs_core.reference_data import REFERENCE, needs_reference, new_radii, orig_radii

MODEL = "cohen-mnist-380-1.00.pth"
CHECK_RADII = "1.0,1.5,2.0,2.5"
EQUAL_BUDGET = "NP, equal budget (N=100000, α=0.001)"
SAME_RUN = "NP, same run (N=50000, α=0.0005)"


def _csv_rows(run_cli, *args: str) -> dict[str, dict[str, str]]:
    result = run_cli(None, "compare", "--published", str(REFERENCE), *args, "--format", "csv")
    assert result.exit_code == 0, result.stdout + result.stderr
    return {row["certificate"]: row for row in csv.DictReader(io.StringIO(result.stdout))}


@needs_reference
def test_the_paper_check_values_are_reproduced(run_cli):
    # docs/math.md §6: the paper's MNIST sigma = 1.0 numbers recomputed from the files.
    rows = _csv_rows(run_cli, "--model", MODEL, "--q", "0.8", "--radii", CHECK_RADII)
    np_row = rows[EQUAL_BUDGET]
    dsrs_row = next(row for name, row in rows.items() if name.startswith("DSRS, Q σ=0.8"))
    # fmt: off
    assert round(float(np_row["acr"]), 4) == 1.5496
    assert [round(100 * float(np_row[f"acc@{r}"]), 1) for r in (1, 1.5, 2, 2.5)] == [
        80.6, 57.6, 25.5, 6.2]
    assert round(float(dsrs_row["acr"]), 4) == 1.6294
    assert [round(100 * float(dsrs_row[f"acc@{r}"]), 1) for r in (1, 1.5, 2, 2.5)] == [
        81.5, 61.6, 34.1, 10.6]
    # fmt: on
    assert {np_row["configuration"], dsrs_row["configuration"]} == {"σ=1.00"}
    assert np_row["inputs"] == dsrs_row["inputs"] == "1000"


@needs_reference
def test_intervals_are_clopper_pearson_and_student_t_of_the_files(run_cli):
    rows = _csv_rows(run_cli, "--model", MODEL, "--q", "0.8", "--radii", CHECK_RADII)
    same_run = orig_radii(MODEL, "orig-rad-general-gaussian-380-1.0-50000-0.0005.txt")
    new = new_radii(MODEL, "new-rad-general-gaussian-380-1.0-0.8-50000-0.0005.txt")
    dsrs = [max(same_run[i], new[i]) for i in sorted(same_run)]
    row = next(row for name, row in rows.items() if name.startswith("DSRS, Q σ=0.8"))
    for radius in (1, 1.5, 2, 2.5):
        count = sum(r >= radius - 1e-5 for r in dsrs)
        low, high = proportion_confint(count, len(dsrs), alpha=0.05, method="beta")
        assert float(row[f"acc@{radius}_lower"]) == pytest.approx(low, abs=1e-12)
        assert float(row[f"acc@{radius}_upper"]) == pytest.approx(high, abs=1e-12)
    low, high = DescrStatsW(dsrs).tconfint_mean(alpha=0.05)
    assert (float(row["acr_lower"]), float(row["acr_upper"])) == pytest.approx((low, high))
    # the same-run NP baseline is weaker than the equal-budget one (the overstated gain)
    assert float(rows[SAME_RUN]["acr"]) < float(rows[EQUAL_BUDGET]["acr"])


@needs_reference
def test_every_model_and_q_of_the_folder_by_default(run_cli):
    rows = _csv_rows(run_cli)
    configurations = {row["configuration"] for row in rows.values()}
    assert configurations == {"σ=0.25", "σ=0.50", "σ=1.00"}
    assert any("thresholded Q x+" in name for name in rows)


@needs_reference
def test_markdown_and_latex_layouts(run_cli):
    markdown = run_cli(
        None,
        "compare",
        "--published",
        str(REFERENCE),
        "--model",
        MODEL,
        "--q",
        "0.8",
        "--radii",
        CHECK_RADII,
        "--format",
        "markdown",
    )
    assert markdown.exit_code == 0, markdown.stderr
    lines = markdown.stdout.splitlines()
    header = next(line for line in lines if line.startswith("| configuration"))
    assert header.split("|")[3:-1] == [" 1.00 ", " 1.50 ", " 2.00 ", " 2.50 ", " ACR "]
    dsrs_line = next(line for line in lines if "DSRS, Q σ=0.8" in line)
    assert "**81.5** (" in dsrs_line and "**1.6294** (" in dsrs_line  # best of its group
    assert "Clopper-Pearson" in markdown.stdout and "Student t" in markdown.stdout

    latex = run_cli(
        None,
        "compare",
        "--published",
        str(REFERENCE),
        "--model",
        MODEL,
        "--q",
        "0.8",
        "--radii",
        CHECK_RADII,
        "--format",
        "latex",
    )
    assert latex.exit_code == 0, latex.stderr
    assert r"\begin{tabular}{llrrrrr}" in latex.stdout and r"\toprule" in latex.stdout
    assert r"\textbf{81.5}\,{\scriptsize[" in latex.stdout
    body = [line for line in latex.stdout.splitlines() if not line.startswith("% ")]
    assert "%" not in "".join(body).replace(r"\%", "")  # every percent sign escaped


@needs_reference
def test_text_table_and_output_file(run_cli, tmp_path):
    out = tmp_path / "table.md"
    result = run_cli(
        None,
        "compare",
        "--published",
        str(REFERENCE),
        "--model",
        MODEL,
        "--q",
        "0.8",
        "--format",
        "markdown",
        "-o",
        str(out),
    )
    assert result.exit_code == 0, result.stderr
    header = next(line for line in out.read_text().splitlines() if line.startswith("| config"))
    assert "| 0.25 | 0.50 |" in header
    text = run_cli(
        None,
        "compare",
        "--published",
        str(REFERENCE),
        "--model",
        MODEL,
        "--q",
        "0.8",
        "--radii",
        CHECK_RADII,
    )
    assert text.exit_code == 0, text.stderr
    assert "80.6" in text.stdout and "1.5496" in text.stdout and "–" in text.stdout


@needs_reference
@pytest.mark.parametrize(
    "args",
    [
        [],
        ["somejob", "--published", str(REFERENCE)],
        ["--published", "/nonexistent/folder"],
        ["--published", str(REFERENCE), "--model", "nope.pth"],
        ["--published", str(REFERENCE), "--q", "7.7"],
        ["--published", str(REFERENCE), "--confidence", "1.5"],
        ["--published", str(REFERENCE), "--radii", "-1"],
    ],
)
def test_bad_arguments_are_clear_errors(run_cli, args):
    result = run_cli(None, "compare", *args)
    assert result.exit_code == 2
    assert "Error" in result.stderr or "Invalid" in result.stderr


def _submit(run_cli, service, model_id: str, *extra: str) -> dict:
    submitted = run_cli(
        service,
        "jobs",
        "submit",
        "--model",
        model_id,
        "--dataset",
        "digits",
        "--stop",
        "6",
        "--family",
        "general-gaussian",
        "--sigma",
        "0.25",
        "--k",
        "20",
        "--n",
        "300",
        "--n-selection",
        "20",
        "--seed",
        "3",
        "--watch",
        *extra,
        json_output=True,
    )
    assert submitted.exit_code == 0, submitted.stderr
    job = json.loads(submitted.stdout)
    assert job["status"] == "succeeded", job
    return job


def test_jobs_side_by_side_equal_their_summaries(
    embedded_service, embedded_model_id, run_cli, tmp_path
):
    dsrs_job = _submit(
        run_cli,
        embedded_service,
        embedded_model_id,
        "--q-sigma",
        "0.2",
        "--baseline",
        "equal-budget",
    )
    np_job = _submit(run_cli, embedded_service, embedded_model_id)
    result = run_cli(
        embedded_service,
        "compare",
        dsrs_job["id"],
        np_job["id"],
        "--radii",
        "0.1,0.3",
        "--format",
        "csv",
    )
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["certificate"].split(" (")[0] for row in rows] == [
        "NP, same run",
        "NP, equal budget",
        "DSRS",
        "NP, same run",
    ]
    from dsrs_client.sync_client import DsrsClient

    with DsrsClient(embedded_service.url) as dsrs:
        summary = dsrs.summary(dsrs_job["id"], radii=[0.1, 0.3])
        plain = dsrs.summary(np_job["id"], radii=[0.1, 0.3])
    assert summary.baseline == "equal-budget" and plain.acr_dsrs is None
    expected = [
        (summary.acr_np, [r.np for r in summary.certified_accuracy]),
        (summary.acr_np_equal_budget, [r.np_equal_budget for r in summary.certified_accuracy]),
        (summary.acr_dsrs, [r.dsrs for r in summary.certified_accuracy]),
        (plain.acr_np, [r.np for r in plain.certified_accuracy]),
    ]
    for row, (acr, accuracy) in zip(rows, expected, strict=True):
        assert float(row["acr"]) == acr
        assert [float(row["acc@0.1"]), float(row["acc@0.3"])] == accuracy
        assert row["benign"] != ""  # labelled digits: benign accuracy is shown
    # the exported data tree holds the paper's NP baseline files (2N draws, full alpha), so
    # the paper's comparison runs on it and gives the summary's numbers
    tree = tmp_path / "tree"
    exported = run_cli(
        embedded_service, "export", dsrs_job["id"], "--format", "dsrs", "-o", str(tree)
    )
    assert exported.exit_code == 0, exported.stderr
    assert list(tree.glob("orig-radius/*/orig-rad-general-gaussian-20-0.25-600-0.001.txt"))
    published = run_cli(
        None, "compare", "--published", str(tree), "--radii", "0.1,0.3", "--format", "csv"
    )
    assert published.exit_code == 0, published.stderr
    from_files = {
        r["certificate"].split(" (")[0]: r for r in csv.DictReader(io.StringIO(published.stdout))
    }
    assert float(from_files["NP, equal budget"]["acr"]) == pytest.approx(
        summary.acr_np_equal_budget, abs=1e-12
    )
    assert float(from_files["NP, same run"]["acr"]) == pytest.approx(summary.acr_np, abs=1e-12)
    text = run_cli(embedded_service, "jobs", "results", dsrs_job["id"])
    assert text.exit_code == 0, text.stderr
    assert "NP (equal budget)" in text.stdout and "against the equal-budget NP" in text.stdout
    assert "union bound" in text.stdout and "benign accuracy" in text.stdout


def test_jobs_chosen_by_tag_or_name_compare_as_their_ids(
    embedded_service, embedded_model_id, run_cli
):
    chosen_by = ("--tag", "sigma-sweep", "--name", "sweep-a")
    tagged = [
        _submit(run_cli, embedded_service, embedded_model_id, *chosen_by, *extra)
        for extra in ((), ("--q-sigma", "0.2"))
    ]
    _submit(run_cli, embedded_service, embedded_model_id, "--tag", "other")
    newest_first = [job["id"] for job in reversed(tagged)]  # the job list's order
    by_ids = run_cli(
        embedded_service, "compare", *newest_first, "--radii", "0.1,0.3", "--format", "csv"
    )
    assert by_ids.exit_code == 0, by_ids.stderr
    for selection in (
        ("--tag", "sigma-sweep"),
        ("--name", "sweep-a"),
        ("--name", "sweep-a", "--tag", "sigma-sweep"),
    ):
        chosen = run_cli(
            embedded_service, "compare", *selection, "--radii", "0.1,0.3", "--format", "csv"
        )
        assert chosen.exit_code == 0, chosen.stderr
        assert chosen.stdout == by_ids.stdout
        assert len(list(csv.DictReader(io.StringIO(chosen.stdout)))) == 3  # NP; NP and DSRS
    # explicit ids come first, then the selection, each job once
    mixed = run_cli(
        embedded_service, "compare", tagged[0]["id"], "--tag", "sigma-sweep", json_output=True
    )
    assert mixed.exit_code == 0, mixed.stderr
    assert [job["job_id"] for job in json.loads(mixed.stdout)["jobs"]] == [
        tagged[0]["id"],
        tagged[1]["id"],
    ]
    none = run_cli(embedded_service, "compare", "--tag", "no-such-tag")
    assert none.exit_code != 0
    assert "no job has tag 'no-such-tag'" in none.stdout + none.stderr


def test_more_jobs_by_tag_than_the_compare_limit_is_a_clear_error(
    embedded_service, embedded_model_id, run_cli, monkeypatch
):
    from dsrs_api.services import job_comparison

    _submit(run_cli, embedded_service, embedded_model_id, "--tag", "crowd")
    _submit(run_cli, embedded_service, embedded_model_id, "--tag", "crowd")
    monkeypatch.setattr(job_comparison, "MAX_COMPARED_JOBS", 1)
    result = run_cli(embedded_service, "compare", "--tag", "crowd")
    assert result.exit_code != 0
    assert "more than 1 jobs have tag 'crowd'" in result.stdout + result.stderr


def _write_tree(root, sigma: str, orig_2n: dict, orig_n: list, new: dict) -> None:
    """A published-style data tree of one model: ``orig_n`` may list an index twice."""
    model = f"cohen-mnist-380-{sigma}.pth"
    s = str(float(sigma))
    orig = root / "orig-radius" / model
    new_folder = root / "new-radius" / model
    orig.mkdir(parents=True)
    new_folder.mkdir(parents=True)
    (orig / f"orig-rad-general-gaussian-380-{s}-100000-0.001.txt").write_text(
        "".join(f"{i} {r}\n" for i, r in orig_2n.items())
    )
    (orig / f"orig-rad-general-gaussian-380-{s}-50000-0.0005.txt").write_text(
        "".join(f"{i} {r}\n" for i, r in orig_n)
    )
    (new_folder / f"new-rad-general-gaussian-380-{s}-0.8-50000-0.0005.txt").write_text(
        "".join(f"{i} {r} 0 0\n" for i, r in new.items())
    )


def test_published_rows_over_different_instances_use_the_common_ones(run_cli, tmp_path):
    # issue 22: a DSRS file holding fewer instances than its NP files, and an NP file that
    # lists an index twice. Every row must use the instances all rows have and say so.
    tree = tmp_path / "data"
    _write_tree(
        tree,
        "1.00",
        orig_2n={i: 0.1 * i for i in range(10)},
        orig_n=[(i, 0.09 * i) for i in range(10)] + [(4, 0.05)],  # index 4 twice
        new={i: 0.12 * i for i in (2, 3, 4, 5, 6, 11)},  # 11: in no NP file
    )
    _write_tree(
        tree,
        "0.50",
        orig_2n=dict.fromkeys(range(1, 8), 0.2),
        orig_n=[(i, 0.15) for i in range(1, 8)],
        new=dict.fromkeys(range(3, 8), 0.3),
    )
    result = run_cli(
        None, "compare", "--published", str(tree), "--radii", "0.25,0.5", "--format", "csv"
    )
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    common = [3, 4, 5, 6]  # in every file of both models (σ=1.00's DSRS: 2-6; σ=0.50: 3-7)
    same_run = {i: 0.09 * i for i in range(10)} | {4: 0.05}  # the smaller radius of index 4
    hand = {
        ("σ=1.00", "NP, equal budget"): [0.1 * i for i in common],
        ("σ=1.00", "NP, same run"): [same_run[i] for i in common],
        ("σ=1.00", "DSRS, Q σ=0.8"): [max(same_run[i], 0.12 * i) for i in common],
        ("σ=0.50", "NP, equal budget"): [0.2] * 4,
        ("σ=0.50", "NP, same run"): [0.15] * 4,
        ("σ=0.50", "DSRS, Q σ=0.8"): [0.3] * 4,
    }
    available = {
        ("σ=1.00", "NP, equal budget"): 10,
        ("σ=1.00", "NP, same run"): 10,
        ("σ=1.00", "DSRS, Q σ=0.8"): 5,
        ("σ=0.50", "NP, equal budget"): 7,
        ("σ=0.50", "NP, same run"): 7,
        ("σ=0.50", "DSRS, Q σ=0.8"): 5,
    }
    assert sorted(hand) == sorted(
        (r["configuration"], r["certificate"].split(" (")[0]) for r in rows
    )
    for row in rows:
        key = (row["configuration"], row["certificate"].split(" (")[0])
        radii = hand[key]
        assert row["inputs"] == "4" and row["available_inputs"] == str(available[key])
        assert float(row["acr"]) == pytest.approx(sum(radii) / 4, abs=1e-12)
        for r in (0.25, 0.5):
            assert float(row[f"acc@{r}"]) == sum(x >= r - 1e-5 for x in radii) / 4
    markdown = run_cli(
        None, "compare", "--published", str(tree), "--radii", "0.25,0.5", "--format", "markdown"
    )
    assert markdown.exit_code == 0, markdown.stderr
    assert "Every row is computed on the 4 inputs that every row has" in markdown.stdout
    assert "σ=1.00 DSRS, Q σ=0.8 (N=50000+50000, α=0.0005×2): 5" in markdown.stdout
    assert "1 index line(s) repeat an index" in markdown.stdout

    own = run_cli(
        None,
        "compare",
        "--published",
        str(tree),
        "--radii",
        "0.25,0.5",
        "--inputs",
        "own",
        "--format",
        "csv",
    )
    assert own.exit_code == 0, own.stderr
    own_rows = {
        (r["configuration"], r["certificate"]): r for r in csv.DictReader(io.StringIO(own.stdout))
    }
    dsrs = own_rows[("σ=1.00", "DSRS, Q σ=0.8 (N=50000+50000, α=0.0005×2) [own inputs: 5]")]
    expected = [max(same_run[i], 0.12 * i) for i in (2, 3, 4, 5, 6)]
    assert dsrs["inputs"] == "5" and float(dsrs["acr"]) == pytest.approx(sum(expected) / 5)


def test_published_rows_without_a_common_instance_are_refused(run_cli, tmp_path):
    tree = tmp_path / "data"
    _write_tree(tree, "1.00", orig_2n={0: 0.1, 1: 0.2}, orig_n=[(0, 0.1), (1, 0.2)], new={0: 0.3})
    _write_tree(tree, "0.50", orig_2n={5: 0.1}, orig_n=[(5, 0.1)], new={5: 0.3})
    result = run_cli(None, "compare", "--published", str(tree))
    assert result.exit_code == 2
    assert "no input is common to every compared row" in result.stderr
    own = run_cli(None, "compare", "--published", str(tree), "--inputs", "own")
    assert own.exit_code == 0, own.stderr


def test_jobs_over_different_inputs_compare_on_the_common_ones(
    embedded_service, embedded_model_id, run_cli, tmp_path
):
    np_job = _submit(run_cli, embedded_service, embedded_model_id)  # digits test 0-5
    dsrs_job = _submit(
        run_cli,
        embedded_service,
        embedded_model_id,
        "--q-sigma",
        "0.2",
        "--start",
        "3",
        "--stop",
        "9",
    )
    result = run_cli(
        embedded_service,
        "compare",
        np_job["id"],
        dsrs_job["id"],
        "--radii",
        "0.1,0.3",
        json_output=True,
    )
    assert result.exit_code == 0, result.stderr
    comparison = json.loads(result.stdout)
    assert comparison["inputs"] == "common" and comparison["common_inputs"] == 3
    assert [(j["samples"], j["compared_inputs"]) for j in comparison["jobs"]] == [(6, 3), (6, 3)]
    assert "3 inputs that every row has" in comparison["inputs_note"]
    from dsrs_client.sync_client import DsrsClient
    from dsrs_core.evaluation.radius_counting import counted_radii

    def hand(job_id: str, dsrs: bool) -> list[float]:
        with DsrsClient(embedded_service.url) as client:
            rows = [s for s in client.iter_results(job_id) if s.dataset_index in (3, 4, 5)]
        radii = counted_radii(
            [s.prediction for s in rows],
            [s.label for s in rows],
            [s.np_radius for s in rows],
            [s.dsrs_radius for s in rows] if dsrs else None,
        )
        return [0.0 if math.isnan(r) else float(r) for r in radii]

    expected = [hand(np_job["id"], False), hand(dsrs_job["id"], False), hand(dsrs_job["id"], True)]
    got = [c for job in comparison["jobs"] for c in job["certificates"]]
    for certificate, radii in zip(got, expected, strict=True):
        assert certificate["acr"]["value"] == pytest.approx(sum(radii) / 3, abs=1e-12)
        assert [e["value"] for e in certificate["accuracy"]] == [
            sum(r >= at - 1e-5 for r in radii) / 3 for at in (0.1, 0.3)
        ]
    plot = tmp_path / "curves.svg"
    table = run_cli(
        embedded_service,
        "compare",
        np_job["id"],
        dsrs_job["id"],
        "--format",
        "markdown",
        "--plot",
        str(plot),
    )
    assert "Every row is computed on the 3 inputs that every row has" in table.stdout
    assert plot.read_text().lstrip().startswith("<?xml") and "<svg" in plot.read_text()
    own = run_cli(
        embedded_service,
        "compare",
        np_job["id"],
        dsrs_job["id"],
        "--inputs",
        "own",
        "--format",
        "csv",
    )
    assert own.exit_code == 0, own.stderr
    assert {r["inputs"] for r in csv.DictReader(io.StringIO(own.stdout))} == {"6"}
    disjoint = _submit(
        run_cli, embedded_service, embedded_model_id, "--start", "20", "--stop", "22"
    )
    refused = run_cli(embedded_service, "compare", np_job["id"], disjoint["id"])
    assert refused.exit_code != 0
    assert "no input is common to every compared row" in refused.stdout + refused.stderr


def _latex_table() -> str:
    from dsrs_cli.tables.comparison import TableFormat, comparison_row, render_table

    rows = [
        comparison_row("σ sweep é & 50% #1_a", method, radii, [0.25, 0.5])
        for method, radii in (
            ("NP, equal budget (N=600, α=0.001)", [0.3, 0.1, 0.6, 0.0]),
            ("DSRS σ_Q=0.2 (N=300+300, α=0.0005×2) — best", [0.4, 0.2, 0.7, 0.0]),
        )
    ]
    return render_table(rows, TableFormat.latex, "Jobs ~ {σ, α} ≥ 0", ["Note: σ_Q…"])


def test_latex_is_ascii_with_math_mode_symbols_and_states_its_preamble():
    latex = _latex_table()
    assert latex.isascii()
    assert r"$\sigma_Q$=0.2" in latex and r"$\sigma$\_Q" not in latex
    assert r"0.0005$\times$2" in latex and r"\&" in latex and r"50\%" in latex
    assert latex.splitlines()[0] == (
        r"% \documentclass{article} \usepackage{booktabs}  (minimal preamble: booktabs rules)"
    )


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no TeX engine (pdflatex)")
def test_latex_compiles_with_the_stated_preamble(tmp_path):
    from dsrs_cli.tables.comparison import LATEX_PREAMBLE

    document = tmp_path / "table.tex"
    document.write_text(
        LATEX_PREAMBLE + "\n\\begin{document}\n" + _latex_table() + "\\end{document}\n"
    )
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", document.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / "table.pdf").stat().st_size > 1000
    assert "Missing character" not in (tmp_path / "table.log").read_text(errors="replace")
