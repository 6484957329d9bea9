"""Rows written straight into a service database, for tests of the read side."""

from __future__ import annotations

from typing import Any

from dsrs_client.contract import BUILTIN_SPLITS

__all__ = ["sample_row", "seed_job", "seed_model"]

#: Rows cycle through the digits test split (dataset indices stay valid).
DIGITS_TEST_SIZE = BUILTIN_SPLITS[("digits", "test")].size


def seed_model(
    session_factory: Any, architecture: str = "digits-mlp", owner_id: str | None = None
) -> str:
    from dsrs_store import repository

    with session_factory() as session:
        model = repository.add_model(
            session,
            name=f"seeded {architecture}",
            format="safetensors",
            architecture=architecture,
            sha256="0" * 64,
            content_key=repository.new_id() * 2,
            mean=None,
            std=None,
            size_bytes=1,
            input_shape=[1, 8, 8],
            num_classes=10,
            storage_path="models/none",
            owner_id=owner_id,
        )
        session.commit()
        return model.id


def seed_job(
    session_factory: Any,
    model_id: str,
    rows: list[dict[str, Any]],
    *,
    total: int | None = None,
    status: str = "succeeded",
    uses_q: bool = True,
    mode: str = "evaluate",
    inputs: dict[str, Any] | None = None,
    owner_id: str | None = None,
) -> str:
    """A finished (or running) job with the given per-sample rows, written directly."""
    from dsrs_client.contract import JobParameters, NoiseIn, QIn
    from dsrs_store import repository
    from dsrs_store.tables import utcnow

    total = len(rows) if total is None else total
    with session_factory() as session:
        job = repository.add_job(
            session,
            model_id=model_id,
            mode=mode,
            inputs=inputs
            or {
                "source": "builtin",
                "dataset": "digits",
                "split": "test",
                "indices": [i % DIGITS_TEST_SIZE for i in range(total)],
            },
            parameters=JobParameters(
                noise=NoiseIn(sigma=0.25), q=QIn(sigma=0.2) if uses_q else None
            ),
            seed=1,
            total=total,
            chunk_size=16,
            owner_id=owner_id,
        )
        job.status = status
        job.started_at = utcnow()
        if status == "succeeded":
            job.finished_at = utcnow()
        session.flush()
        for index, row in enumerate(rows):
            repository.insert_sample(session, sample_row(job.id, index, **row))
        session.commit()
        return job.id


def sample_row(job_id: str, index: int, **values: Any) -> dict[str, Any]:
    """One sample row; ``values`` override the defaults (a certified, labelled input)."""
    row: dict[str, Any] = {
        "job_id": job_id,
        "sample_index": index,
        "dataset_index": index % DIGITS_TEST_SIZE,
        "label": 3,
        "counted_label": 3,
        "prediction": 3,
        "selection_counts": None,
        "p_count": 990,
        "p_n": 1000,
        "q_count": 995,
        "q_n": 1000,
        "q_percentile": None,
        "q_fallback": False,
        "seed": index,
        "alpha": 0.001,
        "p_lower": 0.98,
        "p_upper": 0.995,
        "q_lower": 0.985,
        "q_upper": 0.999,
        "np_radius": 0.5,
        "dsrs_radius": 0.5,
        "reason": "",
        "elapsed_s": 0.01,
    }
    row.update(values)
    return row
