"""Cached answers of the polled job endpoints (dsrs_api.services.response_cache): a succeeded job's
status and pages are served from memory and equal the uncached ones; an unfinished job's
are never reused; ETags give 304; another tenant still gets 404 from a cached body."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from dsrs_api.services.response_cache import (
    FINAL_CACHE_CONTROL,
    LIVE_CACHE_CONTROL,
    LIVE_TTL_S,
    CachedBody,
    ResponseCache,
    respond,
)
from dsrs_store.errors import NotFoundError
from tests.support.factories import add_job_row, add_model_row

ADMIN_KEY = "test-admin-key-" + secrets.token_urlsafe(32)


def body(status: str = "succeeded", owner: str | None = "alice", text: bytes = b"{}") -> CachedBody:
    return CachedBody.build(owner_id=owner, body=text, media_type="application/json", status=status)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


# ---------------------------------------------------------------- the cache itself


def test_a_succeeded_answer_is_kept_and_others_are_not_by_default() -> None:
    assert LIVE_TTL_S == 0.0
    cache = ResponseCache()
    cache.put(("status", "a"), body("succeeded"))
    for status in ("queued", "running", "failed", "cancelled"):
        cache.put(("status", status), body(status))
    assert cache.get(("status", "a")) is not None
    for status in ("queued", "running", "failed", "cancelled"):
        assert cache.get(("status", status)) is None


def test_a_live_answer_is_never_kept_longer_than_the_ttl() -> None:
    clock = Clock()
    cache = ResponseCache(live_ttl_s=0.5, clock=clock)
    cache.put(("status", "j"), body("running"))
    cache.put(("status", "done"), body("succeeded"))
    clock.now = 0.49
    assert cache.get(("status", "j")) is not None
    clock.now = 0.5
    assert cache.get(("status", "j")) is None
    clock.now = 1e9
    assert cache.get(("status", "done")) is not None


def test_the_cache_is_bounded_by_bytes_least_recently_used_first() -> None:
    cache = ResponseCache(max_bytes=80)
    for i in range(3):
        cache.put(("results", str(i)), body(text=b"x" * 10))  # 3 x 10 bytes
    assert cache.get(("results", "0")) is not None  # now the most recent
    for i in range(3, 9):  # 90 bytes > 80: the least recently used goes
        cache.put(("results", str(i)), body(text=b"x" * 10))
    assert cache.get(("results", "0")) is not None
    assert cache.get(("results", "1")) is None
    cache.put(("results", "big"), body(text=b"x" * 11))  # over max_bytes // 8: not kept
    assert cache.get(("results", "big")) is None


def test_forget_job_drops_every_answer_about_it() -> None:
    cache = ResponseCache()
    cache.put(("status", "a"), body())
    cache.put(("results", "a", None, 100, "json"), body())
    cache.put(("status", "b"), body())
    cache.forget_job("a")
    assert cache.get(("status", "a")) is None
    assert cache.get(("results", "a", None, 100, "json")) is None
    assert cache.get(("status", "b")) is not None


def test_only_the_owner_or_the_admin_gets_a_cached_body() -> None:
    cached = body(owner="alice")
    cached.check_owner("alice", "j")
    cached.check_owner(None, "j")  # the admin (or a service without auth)
    with pytest.raises(NotFoundError):
        cached.check_owner("bob", "j")


def test_respond_answers_304_for_a_matching_etag() -> None:
    cached = body(text=b'{"a": 1}')
    assert cached.etag.startswith('"') and cached.etag.endswith('"')
    fresh = respond(cached, None)
    assert fresh.status_code == 200 and fresh.body == b'{"a": 1}'
    assert fresh.headers["etag"] == cached.etag
    assert fresh.headers["cache-control"] == FINAL_CACHE_CONTROL
    for header in (cached.etag, f'"other", {cached.etag}', f"W/{cached.etag}", "*"):
        not_modified = respond(cached, header)
        assert not_modified.status_code == 304 and not_modified.body == b""
        assert not_modified.headers["etag"] == cached.etag
    assert respond(cached, '"other"').status_code == 200
    assert respond(body("running"), None).headers["cache-control"] == LIVE_CACHE_CONTROL


# ---------------------------------------------------------------- over HTTP


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings

    settings = Settings(
        storage_dir=tmp_path_factory.mktemp("cache") / "var", admin_api_key=ADMIN_KEY
    )
    app = create_app(settings)
    seeded = seed(app.state.session_factory)
    with running_server(app) as base_url:
        yield {"app": app, "url": base_url, **seeded}


def seed(session_factory: Any) -> dict[str, Any]:
    from dsrs_store import repository, tenants
    from dsrs_store.tables import utcnow

    with session_factory() as session:
        alice = tenants.add_tenant(session, "alice")
        bob = tenants.add_tenant(session, "bob")
        keys = {
            "alice": tenants.issue_api_key(session, alice.id).key,
            "bob": tenants.issue_api_key(session, bob.id).key,
        }
        model_id = add_model_row(session, name="m", owner_id=alice.id)
        jobs = {}
        for name, status, rows in (("done", "succeeded", 7), ("running", "running", 2)):
            job = add_job_row(
                session,
                model_id,
                indices=range(7),
                parameters={"noise": {"sigma": 0.25}, "q": None, "n": 100, "alpha": 0.001},
                chunk_size=2,
                owner_id=alice.id,
            )
            job.status, job.started_at = status, utcnow()
            if status == "succeeded":
                job.finished_at = utcnow()
            for i in range(rows):
                repository.insert_sample(session, sample(job.id, i))
            jobs[name] = job.id
        session.commit()
    return {"keys": keys, "jobs": jobs}


def sample(job_id: str, i: int) -> dict[str, Any]:
    return {
        "job_id": job_id,
        "sample_index": i,
        "dataset_index": i,
        "label": i % 10,
        "counted_label": i % 10,
        "prediction": i % 10,
        "selection_counts": None,
        "p_count": 90 + i,
        "p_n": 100,
        "q_count": None,
        "q_n": None,
        "q_percentile": None,
        "q_fallback": False,
        "seed": i,
        "alpha": 0.001,
        "p_lower": 0.8,
        "p_upper": 0.99,
        "q_lower": None,
        "q_upper": None,
        "np_radius": 0.1 * i,
        "dsrs_radius": None,
        "reason": "",
        "elapsed_s": 0.25,
    }


def client(service: dict[str, Any], who: str) -> httpx.Client:
    key = ADMIN_KEY if who == "admin" else service["keys"][who]
    return httpx.Client(base_url=service["url"], headers={"X-API-Key": key}, timeout=60)


def cache(service: dict[str, Any]) -> ResponseCache:
    return service["app"].state.response_cache  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "params", [{}, {"limit": 3}, {"limit": 3, "cursor": "2"}, {"limit": 3, "format": "csv"}]
)
def test_a_succeeded_jobs_cached_answers_equal_the_uncached_ones(
    service: dict[str, Any], params: dict[str, Any]
) -> None:
    job = service["jobs"]["done"]
    with client(service, "alice") as alice:
        answers = []
        for _ in range(2):
            cache(service).forget_job(job)
            uncached = (
                alice.get(f"/v1/jobs/{job}"),
                alice.get(f"/v1/jobs/{job}/results", params=params),
            )
            assert len(cache(service)) >= 2  # both kept now
            cached = (
                alice.get(f"/v1/jobs/{job}"),
                alice.get(f"/v1/jobs/{job}/results", params=params),
            )
            answers.append((uncached, cached))
        for uncached, cached in answers:
            for a, b in zip(uncached, cached, strict=True):
                assert a.status_code == b.status_code == 200
                assert a.content == b.content
                assert a.headers["content-type"] == b.headers["content-type"]
                assert a.headers["etag"] == b.headers["etag"]
                assert a.headers["cache-control"] == FINAL_CACHE_CONTROL
                assert a.headers.get("x-next-cursor") == b.headers.get("x-next-cursor")
    status = answers[0][0][0].json()
    assert status["status"] == "succeeded" and status["progress"]["done"] == 7
    page = answers[0][0][1]
    if params.get("format") == "csv":
        assert page.headers["content-type"].startswith("text/csv")
        assert page.headers["x-next-cursor"] == "2"  # rows 0, 1, 2
    else:
        start = int(params.get("cursor", -1)) + 1
        items = page.json()["items"]
        assert [r["sample_index"] for r in items] == list(
            range(start, min(start + params.get("limit", 100), 7))
        )


def test_a_conditional_request_with_the_etag_gets_304(service: dict[str, Any]) -> None:
    job = service["jobs"]["done"]
    with client(service, "alice") as alice:
        for path in (f"/v1/jobs/{job}", f"/v1/jobs/{job}/results?limit=2"):
            first = alice.get(path)
            etag = first.headers["etag"]
            again = alice.get(path, headers={"If-None-Match": etag})
            assert again.status_code == 304 and again.content == b""
            assert again.headers["etag"] == etag
            assert alice.get(path, headers={"If-None-Match": '"stale"'}).content == first.content


def test_another_tenant_gets_404_even_when_the_body_is_cached(service: dict[str, Any]) -> None:
    job = service["jobs"]["done"]
    paths = (f"/v1/jobs/{job}", f"/v1/jobs/{job}/results", f"/v1/jobs/{job}/results?limit=2")
    with client(service, "alice") as alice:
        assert all(alice.get(path).status_code == 200 for path in paths)
    assert cache(service).get(("status", job)) is not None
    assert cache(service).get(("results", job, None, 100, "json")) is not None
    with client(service, "bob") as bob:
        for path in paths:
            response = bob.get(path)
            assert response.status_code == 404, response.text
            assert "etag" not in response.headers
            etag_guess = bob.get(path, headers={"If-None-Match": "*"})
            assert etag_guess.status_code == 404
    with client(service, "admin") as admin:
        assert all(admin.get(path).status_code == 200 for path in paths)


def test_a_running_jobs_answers_are_never_reused(service: dict[str, Any]) -> None:
    from dsrs_store import repository

    job = service["jobs"]["running"]
    with client(service, "alice") as alice:
        first = alice.get(f"/v1/jobs/{job}")
        page = alice.get(f"/v1/jobs/{job}/results")
        assert first.json()["progress"]["done"] == 2 and len(page.json()["items"]) == 2
        assert first.headers["cache-control"] == LIVE_CACHE_CONTROL
        assert cache(service).get(("status", job)) is None
        assert cache(service).get(("results", job, None, 100, "json")) is None
        with service["app"].state.session_factory() as session:
            repository.insert_sample(session, sample(job, 2))
            session.commit()
        # the very next request sees the new row
        assert alice.get(f"/v1/jobs/{job}").json()["progress"]["done"] == 3
        assert len(alice.get(f"/v1/jobs/{job}/results").json()["items"]) == 3
        # an unchanged live answer still revalidates to 304
        etag = alice.get(f"/v1/jobs/{job}/results").headers["etag"]
        assert (
            alice.get(f"/v1/jobs/{job}/results", headers={"If-None-Match": etag}).status_code == 304
        )


def test_concurrent_requests_share_one_final_answer(service: dict[str, Any]) -> None:
    job = service["jobs"]["done"]
    cache(service).forget_job(job)

    async def many() -> list[httpx.Response]:
        headers = {"X-API-Key": service["keys"]["alice"]}
        async with httpx.AsyncClient(base_url=service["url"], headers=headers) as c:
            return await asyncio.gather(
                *(c.get(f"/v1/jobs/{job}/results?limit=4") for _ in range(20))
            )

    answers = asyncio.run(many())
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert not cache(service).in_flight


def test_cancel_forgets_the_cached_answers(service: dict[str, Any]) -> None:
    job = service["jobs"]["running"]
    with client(service, "alice") as alice:
        assert alice.post(f"/v1/jobs/{job}/cancel").status_code == 200
        status = alice.get(f"/v1/jobs/{job}").json()
        assert status["status"] == "cancelled"
        assert cache(service).get(("status", job)) is None  # cancelled: not final here


@pytest.mark.parametrize(
    ("method", "path", "exempt"),
    [
        ("GET", "/v1/jobs/abc", True),
        ("GET", "/v1/jobs/abc/results", True),
        ("POST", "/v1/jobs/abc/cancel", False),
        ("GET", "/v1/jobs/abc/summary", False),
        ("GET", "/v1/jobs", False),
        ("POST", "/v1/jobs", False),
        ("GET", "/v1/models/abc", False),
    ],
)
def test_only_the_polled_job_reads_admit_themselves(method: str, path: str, exempt: bool) -> None:
    from dsrs_api.routes.jobs import admits_itself

    assert admits_itself({"type": "http", "method": method, "path": path}) is exempt


def test_a_foreign_cached_job_and_an_unknown_id_take_the_same_queries(
    service: dict[str, Any],
) -> None:
    """No faster answer for another tenant's cached job: its 404 comes from the same
    database queries as an unknown id's (the timing difference of issue 24)."""
    from sqlalchemy import event

    job = service["jobs"]["done"]
    with client(service, "alice") as alice:
        assert alice.get(f"/v1/jobs/{job}").status_code == 200
    assert cache(service).get(("status", job)) is not None
    engine = service["app"].state.engine
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    queries = {}
    with client(service, "bob") as bob:
        assert bob.get("/v1/jobs/" + "f" * 32).status_code == 404  # bob's key now verified
        event.listen(engine, "before_cursor_execute", record)
        try:
            for name, job_id in (("foreign", job), ("unknown", "e" * 32)):
                statements.clear()
                response = bob.get(f"/v1/jobs/{job_id}")
                assert response.status_code == 404, response.text
                queries[name] = list(statements)
        finally:
            event.remove(engine, "before_cursor_execute", record)
    assert queries["foreign"] == queries["unknown"] and queries["unknown"]
