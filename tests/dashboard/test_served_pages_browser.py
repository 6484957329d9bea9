"""Every HTML page the service serves loads in headless Chromium (Debian's) under the
service's own security headers with no Content-Security-Policy violation, no console error
and no uncaught exception; ``/docs`` renders the API's operations offline.

The pages are enumerated from the app's routes (every GET route that is not part of the
JSON API), so that a new page is checked without editing this file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.factories import seed_job

pytestmark = pytest.mark.slow

#: Values for the path parameters of pages; a page with another parameter fails the test
#: (add its value here).
PATH_VALUES = {"job_id", "model_id"}

_VIOLATIONS = """
window.__problems = [];
document.addEventListener('securitypolicyviolation', e =>
  window.__problems.push(`CSP ${e.violatedDirective} blocked ${e.blockedURI}`));
"""


def _routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every route of the app with its full path, into included routers (not mounts: those
    are the static assets the pages load)."""
    for route in routes:
        if hasattr(route, "original_router"):  # an included router
            yield from _routes(route.original_router.routes, prefix + route.include_context.prefix)
        elif hasattr(route, "methods"):
            yield prefix + route.path, route


def served_pages(tmp_path: Any) -> list[str]:
    """Paths of the GET routes outside the OpenAPI schema: the pages (and the schema)."""
    from dsrs_api.app import create_app
    from dsrs_settings import Settings

    app = create_app(Settings(storage_dir=tmp_path / "routes"))
    return sorted(
        path
        for path, route in _routes(app.routes)
        if "GET" in (route.methods or ()) and not getattr(route, "include_in_schema", False)
    )


def test_the_pages_are_enumerated_from_the_routes(tmp_path: Any) -> None:
    pages = served_pages(tmp_path)
    assert {"/docs", "/dashboard", "/dashboard/jobs/{job_id}", "/dashboard/new-job"} <= set(pages)
    assert not [p for p in pages if p.startswith("/v1/")], pages


def test_every_served_page_loads_without_csp_violation_or_error(
    embedded_api: Any, browser: Any, artifacts: Any, tmp_path: Any
) -> None:
    job_id = seed_job(
        embedded_api.session_factory,
        embedded_api.model_id,
        [{"p_n": 1000}, {"np_radius": 0.2, "dsrs_radius": 0.3}],
    )
    values = {"job_id": job_id, "model_id": embedded_api.model_id}
    pages = served_pages(tmp_path)
    checked = []
    for template in pages:
        names = re.findall(r"{(\w+)}", template)
        assert set(names) <= PATH_VALUES, f"no value for the parameters of {template}"
        path = template.format(**{name: values[name] for name in names})
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems: list[str] = []
        page.add_init_script(_VIOLATIONS)
        page.on("pageerror", lambda error, p=problems: p.append(f"exception: {error}"))
        page.on(
            "console",
            lambda message, p=problems: (
                p.append(f"console {message.type}: {message.text}")
                if message.type in ("error", "warning")
                else None
            ),
        )
        response = page.goto(embedded_api.base_url + path, wait_until="networkidle")
        assert response is not None and response.ok, (path, response and response.status)
        if template == "/docs":
            # Swagger UI drew the operations from /openapi.json (not a blank page).
            page.locator(".opblock-summary-path", has_text="/v1/jobs").first.wait_for()
            page.screenshot(path=str(artifacts / "docs.png"), full_page=False)
        problems += page.evaluate("window.__problems || []")
        assert not problems, (path, problems)
        checked.append(path)
        page.close()
    assert len(checked) == len(pages) >= 8, checked
