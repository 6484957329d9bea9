"""The engine's defaults are the contract's: a job that leaves a parameter out runs with the
same value as a direct caller of the engine that leaves it out. The engine cannot import the
contract (it is importable without pydantic and the client), so this test is what keeps the
two equal; the budget ``n`` has no engine default at all."""

from __future__ import annotations

import dataclasses

import pytest

from dsrs_client.contract import JobParameters
from dsrs_core.config import CertificationConfig, NoiseSpec, QSpec, SequentialSpec
from dsrs_core.evaluation.job_config import certification_config


def test_a_job_left_to_its_defaults_gets_the_engines_defaults() -> None:
    job = certification_config(JobParameters.model_validate({"noise": {"sigma": 0.25}}))
    engine = CertificationConfig(p=NoiseSpec("gaussian", 0.25), n=job.n)
    assert job == engine


def test_sequential_defaults_agree() -> None:
    parameters = {"noise": {"sigma": 0.25}, "q": {"sigma": 0.2}, "sequential": {"tolerance": 0.1}}
    job = certification_config(JobParameters.model_validate(parameters))
    assert job.sequential == SequentialSpec(tolerance=0.1)
    assert job.q == QSpec(sigma=0.2)
    parameters["sequential"] = {"tolerance": 0.1, "levels": [0.05, 0.25]}
    job = certification_config(JobParameters.model_validate(parameters))
    assert job.sequential == SequentialSpec(tolerance=0.1, levels=(0.05, 0.25))


def test_the_engine_has_no_budget_default() -> None:
    n = {f.name: f for f in dataclasses.fields(CertificationConfig)}["n"]
    assert n.default is dataclasses.MISSING
    with pytest.raises(TypeError, match="'n'"):
        CertificationConfig(p=NoiseSpec("gaussian", 0.25))  # type: ignore[call-arg]
