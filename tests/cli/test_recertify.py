"""``dsrs recertify``: new radii from stored counts equal the engine's on the same counts,
and nothing touches a model (torch and ``models`` blocked, the model file poisoned)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dsrs_client.contract import SampleOut
from dsrs_core.config import CertificationConfig, NoiseSpec, QSpec, RadiusSearch
from dsrs_core.counts_to_certificate import certificate_from_counts
from dsrs_core.results import SampleCounts

DIMENSION = 64  # digits: 1 x 8 x 8

NO_MODEL_RUN = """
import sys

BLOCKED = {"torch", "torchvision", "onnxruntime", "dsrs_models"}


class RefuseModelImports:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} may not be imported by recertify")
        return None


sys.meta_path.insert(0, RefuseModelImports())
from dsrs_cli.main import app

try:
    app(sys.argv[1:], prog_name="dsrs")
except SystemExit as done:
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    if loaded:
        sys.exit(f"loaded {loaded}")
    raise
"""


@pytest.fixture(scope="module")
def finished_job(embedded_service, embedded_model_id: str) -> str:
    from dsrs_client.sync_client import DsrsClient

    with DsrsClient(embedded_service.url) as dsrs:
        job = dsrs.submit_job(
            {
                "model_id": embedded_model_id,
                "inputs": {"dataset": "digits", "stop": 4},
                "noise": {"family": "general-gaussian", "sigma": 0.25, "k": 20},
                "q": {"sigma": 0.2},
                "n": 300,
                "n_selection": 20,
                "seed": 21,
            }
        )
        return dsrs.wait_for_job(job.id, timeout=120, poll_interval=0.1).id


def engine_radii(samples: list[SampleOut], alpha: float, unit: float) -> list[tuple]:
    config = CertificationConfig(
        p=NoiseSpec("general-gaussian", 0.25, 20),
        q=QSpec(sigma=0.2),
        n_selection=20,
        n=300,
        alpha=alpha,
        search=RadiusSearch(unit=unit),
    )
    out = []
    for s in samples:
        counts = SampleCounts(
            s.counted_label, s.p_count, s.p_n, s.q_count, s.q_n, s.q_percentile, s.q_fallback
        )
        c = certificate_from_counts(counts, config, DIMENSION)
        out.append((c.prediction, c.p_lower, c.q_lower, c.np_radius, c.dsrs_radius))
    return out


def poison_model_files(storage_dir: Path) -> int:
    files = list((storage_dir / "models").glob("*"))
    for path in files:
        path.write_bytes(b"not a model any more")
    return len(files)


def test_recertify_equals_the_engine_on_the_stored_counts_without_any_model(
    embedded_service, finished_job: str, tmp_path: Path
) -> None:
    from dsrs_client.sync_client import DsrsClient

    with DsrsClient(embedded_service.url) as dsrs:
        stored = dsrs.all_results(finished_job)
    assert poison_model_files(embedded_service.storage_dir) >= 1
    output = tmp_path / "recertified.jsonl"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            NO_MODEL_RUN,
            "--url",
            embedded_service.url,
            "--json",
            "recertify",
            finished_job,
            "--alpha",
            "0.05",
            "--radius-unit",
            "0.01",
            "-o",
            str(output),
            "--format",
            "jsonl",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).parents[2],
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["parameters"]["alpha"] == 0.05
    assert report["parameters"]["radius_search"]["unit"] == 0.01
    recertified = [SampleOut.model_validate(s) for s in report["samples"]]
    got = [(s.prediction, s.p_lower, s.q_lower, s.np_radius, s.dsrs_radius) for s in recertified]
    assert got == engine_radii(stored, alpha=0.05, unit=0.01)
    # A looser alpha gives larger bounds, so the test would notice stale radii.
    assert all(new.p_lower > old.p_lower for new, old in zip(recertified, stored, strict=True))
    assert sum(new.np_radius > old.np_radius for new, old in zip(recertified, stored, strict=True))
    assert [(s.p_count, s.q_count) for s in recertified] == [(s.p_count, s.q_count) for s in stored]
    from tests.cli.export_readers import read_jsonl

    assert read_jsonl(output) == recertified


def test_recertify_with_the_job_settings_reproduces_the_stored_radii(
    embedded_service, finished_job: str, run_cli
) -> None:
    from dsrs_cli.recertification import recertify_job
    from dsrs_client.sync_client import DsrsClient

    with DsrsClient(embedded_service.url) as dsrs:
        result = recertify_job(dsrs, finished_job)
    assert [s.model_dump() for s in result.samples] == [s.model_dump() for s in result.original]
    table = run_cli(embedded_service, "recertify", finished_job, "--alpha", "0.01")
    assert table.exit_code == 0, table.stderr
    assert "NP stored" in table.stdout and "DSRS new" in table.stdout and "ACR" in table.stdout


def test_recertify_refuses_an_alpha_out_of_range(
    embedded_service, finished_job: str, run_cli
) -> None:
    result = run_cli(embedded_service, "recertify", finished_job, "--alpha", "1.5")
    assert result.exit_code == 2
    # The contract's bound on alpha, named with the field.
    assert "alpha" in result.stderr and "less than 1" in result.stderr


def test_recertify_check_proven_proves_every_np_radius(
    embedded_service, finished_job: str, run_cli
) -> None:
    pytest.importorskip("flint")
    from dsrs_cli.recertification import recertify_job
    from dsrs_client.sync_client import DsrsClient

    with DsrsClient(embedded_service.url) as dsrs:
        result = recertify_job(dsrs, finished_job, check="proven")
        cleared = recertify_job(dsrs, finished_job, check="verified")
    assert result.parameters.check == "proven"
    for sample in result.samples:
        assert sample.check_outcome in ("proven", "fell back"), sample
        if sample.np_radius > 0:
            assert sample.proof_margin_lower is not None and sample.proof_margin_lower > 0
            assert sample.proven_np_radius is not None
            assert (1 - 1e-3) * sample.np_radius <= sample.proven_np_radius <= sample.np_radius
    assert all(s.check_outcome is None and s.proof_seconds is None for s in cleared.samples)
    table = run_cli(embedded_service, "recertify", finished_job, "--check", "proven")
    assert table.exit_code == 0, table.stderr
    assert "proven without a lower end above 0: 0" in " ".join(table.stdout.split())
    refused = run_cli(embedded_service, "recertify", finished_job, "--check", "proved")
    assert refused.exit_code == 2 and "proven" in refused.stderr
