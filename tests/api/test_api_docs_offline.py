"""``/docs`` works without internet: the page refers only to this server, which serves
Swagger UI's files from the installed package."""

from __future__ import annotations

import re

import httpx


def test_docs_page_and_its_assets_come_from_this_server(api_client: httpx.Client) -> None:
    page = api_client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", page.text)
    assert urls, page.text
    external = [u for u in urls if re.match(r"^(https?:)?//", u)]
    assert not external, external
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"):
        assert asset in page.text
        response = api_client.get(asset)
        assert response.status_code == 200 and len(response.content) > 10_000, asset
    assert api_client.get("/openapi.json").json()["info"]["title"] == "dsrs"
    # The page's own policy allows exactly this origin (issue 21: it allowed only the CDN,
    # so Chromium blocked the local assets and the page stayed blank).
    policy = page.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in policy and "https:" not in policy, policy
    # ReDoc exists only on a CDN: not offered.
    assert api_client.get("/redoc").status_code == 404
