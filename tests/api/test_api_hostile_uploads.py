"""Issue 11's hostile uploads against the embedded service (``dsrs serve`` on SQLite, no
broker, keys required by an admin key): every attack gets its 4xx, leaks nothing, leaves
nothing large on disk, the API's peak memory grows < 200 MiB and ``/healthz`` answers
within 1 s throughout; valid controls still upload (:mod:`tests.hostile_attacks`)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from tests.hostile_attacks import run_hostile_suite
from tests.hostile_harness import ServedApi

pytestmark = pytest.mark.slow


def test_hostile_uploads_against_the_embedded_service(tmp_path: Path, demo_weights: bytes) -> None:
    admin_key = secrets.token_urlsafe(32)
    api = ServedApi(
        tmp_path,
        {
            "DSRS_ADMIN_API_KEY": admin_key,
            "DSRS_MODEL_LOAD_TIMEOUT_S": "45",
        },
        admin_key,
    )
    with api.running():
        run_hostile_suite(api, demo_weights)
