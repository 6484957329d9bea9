"""Fair upload checks: while one tenant's slow upload (a Loop of 1e9 iterations) holds its
upload slot, its next upload is answered 429 at once and another tenant's small upload is
checked and stored; the slow one is refused when the probe's time limit stops it."""

from __future__ import annotations

import io
import secrets
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from tests.hostile_files import onnx_endless_loop

ADMIN_KEY = "slots-admin-key-" + secrets.token_urlsafe(32)
POLL_DEADLINE_S = 120.0


def test_one_tenants_slow_uploads_do_not_hold_another_tenants(tmp_path: Path) -> None:
    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings

    settings = Settings(
        storage_dir=tmp_path / "var", admin_api_key=ADMIN_KEY, upload_probe_timeout_s=20
    )
    app = create_app(settings)
    with running_server(app) as base_url:
        keys = {}
        with httpx.Client(base_url=base_url, headers={"X-API-Key": ADMIN_KEY}) as admin:
            for name in ("slow", "small"):
                tenant = admin.post("/v1/tenants", json={"name": name}).json()["id"]
                keys[name] = admin.post(f"/v1/tenants/{tenant}/keys").json()["key"]
        slow = httpx.Client(base_url=base_url, headers={"X-API-Key": keys["slow"]}, timeout=120)
        small = httpx.Client(base_url=base_url, headers={"X-API-Key": keys["small"]}, timeout=120)
        loop = onnx_endless_loop()
        answers: dict[str, httpx.Response] = {}

        def upload_slow() -> None:
            answers["slow"] = slow.post("/v1/models", files={"file": ("loop.onnx", loop)})

        first = threading.Thread(target=upload_slow)
        first.start()
        slow_tenant = next(iter(app.state.upload_slots._held), None)
        deadline = time.monotonic() + POLL_DEADLINE_S
        while slow_tenant is None and time.monotonic() < deadline:
            time.sleep(0.05)
            slow_tenant = next(iter(app.state.upload_slots._held), None)
        assert slow_tenant is not None, "the slow upload never reached its check"

        second = slow.post("/v1/models", files={"file": ("loop2.onnx", loop)})
        assert second.status_code == 429, second.text
        assert "DSRS_TENANT_MAX_CONCURRENT_UPLOADS" in second.json()["detail"]

        buffer = io.BytesIO()
        np.save(buffer, np.zeros((2, 1, 8, 8), np.float32))
        started = time.monotonic()
        other = small.post("/v1/inputs", files={"file": ("x.npy", buffer.getvalue())})
        waited = time.monotonic() - started
        assert other.status_code == 201, other.text
        still_checking = first.is_alive()
        first.join()
        print(
            f"other tenant's 1 KB upload answered in {waited:.1f} s; slow upload still "
            f"being checked then: {still_checking}"
        )
        assert answers["slow"].status_code == 422, answers["slow"].text
        assert "within 20 s (DSRS_UPLOAD_PROBE_TIMEOUT_S)" in answers["slow"].json()["detail"]
        assert app.state.upload_slots.held(slow_tenant) == 0
        slow.close()
        small.close()
