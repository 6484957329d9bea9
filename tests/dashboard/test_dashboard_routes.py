"""The dashboard's pages, assets and read endpoints over real HTTP (embedded API)."""

from __future__ import annotations

import io
import re
from typing import Any

import numpy as np
import pytest

from dsrs_api.dashboard.routes import ASSETS_DIR
from tests.support.factories import seed_job, seed_model

#: The only absolute URL allowed in an asset: the SVG namespace name, which is never fetched.
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


@pytest.fixture(scope="module")
def table_job(embedded_api: Any) -> str:
    """12 rows: 0-5 certified with growing radii (DSRS adds 0.1 to the even ones),
    6-8 abstained, 9-11 wrong predictions."""
    rows = []
    for i in range(6):
        rows.append(
            {"np_radius": 0.1 * (i + 1), "dsrs_radius": 0.1 * (i + 1) + (0.1 if i % 2 == 0 else 0)}
        )
    rows += [{"prediction": None, "np_radius": 0.0, "dsrs_radius": None} for _ in range(3)]
    rows += [{"prediction": 7, "np_radius": 0.3, "dsrs_radius": 0.3} for _ in range(3)]
    return seed_job(embedded_api.session_factory, embedded_api.model_id, rows)


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard",
        "/dashboard/jobs",
        "/dashboard/jobs/abc",
        "/dashboard/models",
        "/dashboard/models/x",
        "/dashboard/new-job",
    ],
)
def test_every_page_is_the_shell_with_a_strict_content_security_policy(
    embedded_api: Any, path: str
) -> None:
    response = embedded_api.client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    assert '<main id="view"' in response.text
    preloaded = re.findall(
        r'rel="modulepreload" href="/dashboard/assets/js/([\w.]+)"', response.text
    )
    assert {"api.js", "dom.js"} <= set(preloaded) and len(preloaded) >= 3


def test_unknown_pages_and_assets_are_404(embedded_api: Any) -> None:
    assert embedded_api.client.get("/dashboard/nowhere").status_code == 404
    assert embedded_api.client.get("/dashboard/assets/js/missing.js").status_code == 404
    assert embedded_api.client.get("/dashboard/assets/../../dashboard/routes.py").status_code == 404


def test_the_front_page_redirects_to_the_dashboard(embedded_api: Any) -> None:
    response = embedded_api.client.get("/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/dashboard"


def referenced_assets() -> set[str]:
    """Every URL the shell and the scripts name: <link>/<script> and ES module imports."""
    html = (ASSETS_DIR / "index.html").read_text()
    urls = set(re.findall(r'(?:href|src)="(/dashboard/assets/[^"]+)"', html))
    for script in (ASSETS_DIR / "js").glob("*.js"):
        for name in re.findall(r'(?:from |import\()"\./([\w.]+)"', script.read_text()):
            urls.add(f"/dashboard/assets/js/{name}")
    return urls


def test_every_referenced_asset_is_served_by_the_server(embedded_api: Any) -> None:
    urls = referenced_assets()
    assert "/dashboard/assets/js/main.js" in urls and "/dashboard/assets/js/plot.js" in urls
    for url in urls:
        response = embedded_api.client.get(url)
        assert response.status_code == 200, url
        kind = response.headers["content-type"]
        assert kind.startswith(
            ("text/javascript", "application/javascript", "text/css", "image/svg+xml")
        ), (url, kind)


def test_no_asset_names_another_origin() -> None:
    for path in ASSETS_DIR.rglob("*"):
        if path.is_file():
            text = path.read_text().replace(SVG_NAMESPACE, "")
            assert not re.search(r"https?://|(?:src|href|url)\s*[=(]\s*[\"']?//", text), path
            assert "@import" not in text and "@font-face" not in text, path


def test_thumbnail_is_the_input_as_a_png(embedded_api: Any, table_job: str) -> None:
    from PIL import Image

    from dsrs_models.demo import demo_dataset

    response = embedded_api.client.get(f"/v1/jobs/{table_job}/inputs/5.png")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    pixels = np.asarray(Image.open(io.BytesIO(response.content)))
    expected = np.rint(demo_dataset("test")[0][5, 0] * 255).astype(np.uint8)
    assert pixels.shape == (64, 64) and np.array_equal(pixels[::8, ::8], expected)


def test_thumbnail_of_an_uploaded_colour_input(embedded_api: Any) -> None:
    from PIL import Image

    images = np.random.default_rng(1).random((4, 3, 32, 32)).astype(np.float32)
    buffer = io.BytesIO()
    np.save(buffer, images)
    response = embedded_api.client.post("/v1/inputs", files={"file": ("x.npy", buffer.getvalue())})
    assert response.status_code == 201, response.text
    input_set = response.json()
    job_id = seed_job(
        embedded_api.session_factory,
        embedded_api.model_id,
        [{}, {}],
        input_set_id=input_set["id"],
        indices=[3, 1],
    )
    png = embedded_api.client.get(f"/v1/jobs/{job_id}/inputs/0.png")
    assert png.status_code == 200
    pixels = np.asarray(Image.open(io.BytesIO(png.content)))
    expected = np.rint(images[3].transpose(1, 2, 0) * 255).astype(np.uint8)
    assert pixels.shape == (64, 64, 3) and np.array_equal(pixels[::2, ::2], expected)


def test_thumbnail_refusals(embedded_api: Any, table_job: str) -> None:
    assert embedded_api.client.get(f"/v1/jobs/{table_job}/inputs/12.png").status_code == 404
    assert embedded_api.client.get("/v1/jobs/nope/inputs/0.png").status_code == 404
    assert embedded_api.client.get(f"/v1/jobs/{table_job}/inputs/x.png").status_code == 422


def page(embedded_api: Any, job_id: str, **params: Any) -> Any:
    response = embedded_api.client.get(f"/v1/dashboard/jobs/{job_id}/samples", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_sample_table_sorts_in_the_database(embedded_api: Any, table_job: str) -> None:
    by_radius = page(embedded_api, table_job, sort="np_radius", order="desc", limit=3)
    assert [row["sample_index"] for row in by_radius["items"]] == [5, 4, 3]
    assert by_radius["total"] == 12
    by_gain = page(embedded_api, table_job, sort="gain", order="desc", limit=3)
    assert [row["sample_index"] for row in by_gain["items"]] == [0, 2, 4]
    ascending = page(embedded_api, table_job, sort="np_radius", order="asc", limit=12)
    radii = [row["np_radius"] for row in ascending["items"]]
    assert radii == sorted(radii)
    nulls_last = page(embedded_api, table_job, sort="prediction", order="asc", limit=12)
    assert [row["prediction"] for row in nulls_last["items"]][-3:] == [None, None, None]


def test_sample_table_pages_and_filters(embedded_api: Any, table_job: str) -> None:
    seen = []
    for offset in (0, 5, 10):
        result = page(embedded_api, table_job, offset=offset, limit=5)
        seen += [row["sample_index"] for row in result["items"]]
    assert seen == list(range(12))
    counts = {
        name: page(embedded_api, table_job, filter=name)["total"]
        for name in ("all", "abstained", "certified", "improved", "wrong")
    }
    assert counts == {"all": 12, "abstained": 3, "certified": 6, "improved": 3, "wrong": 3}


def test_sample_table_refusals(embedded_api: Any, table_job: str) -> None:
    url = f"/v1/dashboard/jobs/{table_job}/samples"
    bad_sort = embedded_api.client.get(url, params={"sort": "reason; DROP TABLE"})
    assert bad_sort.status_code == 422 and "sort must be one of" in bad_sort.json()["detail"]
    assert embedded_api.client.get(url, params={"filter": "odd"}).status_code == 422
    assert embedded_api.client.get(url, params={"limit": 0}).status_code == 422
    assert embedded_api.client.get("/v1/dashboard/jobs/nope/samples").status_code == 404
    assert embedded_api.client.get("/v1/dashboard/jobs/nope/overview").status_code == 404


def test_job_list_filters_by_model_and_status(embedded_api: Any, table_job: str) -> None:
    other_model = seed_model(embedded_api.session_factory)
    running = seed_job(embedded_api.session_factory, other_model, [{}], total=4, status="running")
    listed = embedded_api.client.get("/v1/dashboard/jobs", params={"model_id": other_model}).json()
    assert [job["id"] for job in listed["items"]] == [running]
    assert listed["items"][0]["progress"] == {
        "done": 1,
        "total": 4,
        "fraction": 0.25,
        "non_finite_draws": 0,
    }
    assert listed["items"][0]["eta_seconds"] is not None
    assert listed["models"] == {other_model: "seeded digits-mlp"}
    succeeded = embedded_api.client.get("/v1/dashboard/jobs", params={"status": "succeeded"}).json()
    ids = [job["id"] for job in succeeded["items"]]
    assert table_job in ids and running not in ids
    assert embedded_api.client.get("/v1/dashboard/jobs", params={"status": "x"}).status_code == 422
