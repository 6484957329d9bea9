"""Export writers and readers on hand-made rows: abstentions, missing labels, missing Q,
thresholded Q names, and the original readers' first/last-line rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsrs_cli.export.cohen import write_cohen_tsv
from dsrs_cli.export.dsrs_tree import write_dsrs_tree
from dsrs_cli.export.rows import write_csv, write_jsonl
from dsrs_cli.published import files as published
from dsrs_client.contract import JobParameters, NoiseIn, QIn, SampleOut
from tests.cli.export_readers import read_cohen_tsv, read_csv, read_jsonl


def row(index: int, **changes) -> SampleOut:  # type: ignore[no-untyped-def]
    values = {
        "sample_index": index,
        "dataset_index": 10 * index,
        "label": index % 3,
        "counted_label": index % 3,
        "prediction": index % 3,
        "selection_counts": None,
        "p_count": 990,
        "p_n": 1000,
        "q_count": 995,
        "q_n": 1000,
        "q_percentile": None,
        "q_fallback": False,
        "seed": 123456789012345678,
        "alpha": 0.001,
        "p_lower": 0.98,
        "p_upper": 1.0,
        "q_lower": 0.985,
        "q_upper": 0.999,
        "np_radius": 0.5,
        "dsrs_radius": 0.55,
        "reason": "DSRS: r=0.6: dual bound <= 1/2, case iii",
        "elapsed_s": 3723.5,
    }
    values.update(changes)
    return SampleOut(**values)


ROWS = [
    row(0),
    row(1, prediction=None, p_lower=0.0, np_radius=0.0, dsrs_radius=0.0, reason="abstain"),
    row(
        2,
        label=None,
        selection_counts=[1, 2, 97],
        q_count=None,
        q_n=None,
        q_lower=None,
        q_upper=None,
        dsrs_radius=None,
        reason="",
    ),
    row(3, prediction=1, label=0, q_fallback=True, q_percentile=0.75),
]


def test_csv_and_jsonl_round_trip_every_field(tmp_path: Path) -> None:
    write_csv(ROWS, tmp_path / "rows.csv")
    write_jsonl(ROWS, tmp_path / "rows.jsonl")
    assert read_csv(tmp_path / "rows.csv") == ROWS
    assert read_jsonl(tmp_path / "rows.jsonl") == ROWS
    header = (tmp_path / "rows.csv").read_text().splitlines()[0].split(",")
    assert header == [*SampleOut.model_fields, "draws_used"]  # issue 21: draws per input
    draws = [line.split(",")[-1] for line in (tmp_path / "rows.csv").read_text().splitlines()[1:]]
    assert draws == [str(r.p_n + (r.q_n or 0) + (r.baseline_extra_n or 0)) for r in ROWS]


def test_cohen_tsv_follows_certify_py(tmp_path: Path) -> None:
    path = tmp_path / "certify.tsv"
    write_cohen_tsv(ROWS, path, "dsrs")
    lines = path.read_text().splitlines()
    assert lines[0] == "idx\tlabel\tpredict\tradius\tcorrect\ttime"
    assert lines[1] == "0\t0\t0\t0.55\t1\t1:02:03.500000"
    rows = read_cohen_tsv(path)
    assert [(r.idx, r.label, r.predict, r.radius, r.correct) for r in rows] == [
        (0, 0, 0, 0.55, 1),
        (10, 1, -1, 0.0, 0),  # abstained
        (20, -1, 2, 0.5, 0),  # no label: radius of the prediction, never "correct"
        (30, 0, 1, 0.0, 0),  # wrong class counts 0
    ]
    assert all(r.time_seconds == 3723.5 for r in rows)
    write_cohen_tsv(ROWS, path, "np")
    assert read_cohen_tsv(path)[0].radius == 0.5


def test_cohen_reader_refuses_another_header(tmp_path: Path) -> None:
    path = tmp_path / "other.tsv"
    path.write_text("a\tb\n")
    with pytest.raises(ValueError, match="header"):
        read_cohen_tsv(path)


def test_dsrs_tree_for_a_gaussian_np_job(tmp_path: Path) -> None:
    parameters = JobParameters(noise=NoiseIn(family="gaussian", sigma=0.5), n=1000, alpha=0.001)
    files = write_dsrs_tree(ROWS, parameters, "cohen cifar/0.50", tmp_path)
    assert (
        files.p_sampling
        == tmp_path / "sampling" / "cohen_cifar_0.50" / "gaussian-None-0.5-1000-0.001.txt"
    )
    assert files.q_sampling is None and files.new_radius is None
    text = files.p_sampling.read_text()
    assert text.startswith(
        "\nx disttype gaussian\nx k None\nx std 0.5\nx N 1000\nx alpha 0.001\n\n"
    )
    assert "o 10 0 1\n" in text  # extreme bounds printed bare
    radii = published.read_radius_file(files.orig_radius)
    assert radii == {0: 0.5, 10: 0.0, 20: 0.5, 30: 0.0}


def test_dsrs_tree_of_a_proof_mode_job_adds_the_proven_radii(tmp_path: Path) -> None:
    proof = {"proof_seconds": 1.5, "proof_margin_lower": 2e-6, "proof_margin_upper": 9e-6}
    rows = [
        row(0, check_outcome="fell back", proven_np_radius=0.49999, **proof),
        row(1, prediction=None, p_lower=0.0, np_radius=0.0, dsrs_radius=0.0, reason="abstain"),
        row(2, check_outcome="not proven", proof_seconds=60.0),
        row(3, prediction=1, label=0, check_outcome="proven", proven_np_radius=0.5),
    ]
    parameters = JobParameters(
        noise=NoiseIn(family="general-gaussian", sigma=1.0, k=380), check="proven"
    )
    files = write_dsrs_tree(rows, parameters, "m", tmp_path)
    assert files.proven_radius == tmp_path / "proven-radius" / "m" / files.orig_radius.name
    # proven radius where one is, 0 where none is proven or none counts (wrong class)
    assert published.read_radius_file(files.proven_radius) == {
        0: 0.49999,
        10: 0.0,
        20: 0.0,
        30: 0.0,
    }
    unproven = JobParameters(noise=NoiseIn(family="gaussian", sigma=0.5))
    assert write_dsrs_tree(rows, unproven, "m", tmp_path / "v").proven_radius is None


def test_dsrs_tree_for_a_thresholded_q(tmp_path: Path) -> None:
    parameters = JobParameters(
        noise=NoiseIn(family="general-gaussian", sigma=1.0, k=380),
        q=QIn(threshold="x+"),
        n=50000,
        alpha=0.001,
    )
    files = write_dsrs_tree(ROWS, parameters, "m", tmp_path)
    assert files.q_sampling is not None and files.new_radius is not None
    assert files.q_sampling.name == "general-gaussian-380-1.0-50000-0.0005-x+.txt"
    assert files.new_radius.name == "new-rad-general-gaussian-th-380-1.0-x+-50000-0.0005.txt"
    q_bounds = published.read_sampling(files.q_sampling)
    assert sorted(q_bounds) == [0, 10, 30]  # the row without Q draws has no Q line
    new = published.read_new_radius(files.new_radius)
    assert new[0] == (0.55, 0.55 - 0.5, (0.55 - 0.5) / 0.5)
    assert new[10] == (0.0, 0.0, 0.0)


def test_readers_keep_the_first_sampling_line_and_the_smallest_radius(tmp_path: Path) -> None:
    sampling = tmp_path / "s.txt"
    sampling.write_text("\nx N 10\n\no 1 0.5 0.6\no 1 0.7 0.8\n")
    assert published.read_sampling(sampling) == {1: (0.5, 0.6)}
    assert published.read_sampling_header(sampling) == {"N": "10"}
    radii = tmp_path / "r.txt"
    radii.write_text("2 0.1\n1 0.2\n2 0.3\n")
    # an index listed twice keeps its smaller radius (a figure may only err low; issue 22)
    assert list(published.read_radius_file(radii).items()) == [(1, 0.2), (2, 0.1)]
