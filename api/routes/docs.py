"""``/docs``: Swagger UI served from an installed package, so that it works offline.

FastAPI's default page loads Swagger UI's script and style sheet from a CDN: on a cluster
without internet it is blank. The assets come from ``swagger-ui-bundle`` (Swagger UI's
``dist`` files as a Python package) and are served under ``/docs/assets``; the page itself
is FastAPI's, pointed at them, with Swagger's online validator badge off (it would fetch
from validator.swagger.io). ReDoc (a CDN script only) is not offered: ``/redoc`` is 404.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS_PATH", "install_api_docs"]

ASSETS_PATH = "/docs/assets"


def install_api_docs(app: FastAPI) -> None:
    """Serve ``/docs`` (the app must be built with ``docs_url=None, redoc_url=None``)."""
    from swagger_ui_bundle import swagger_ui_path

    openapi_url = app.openapi_url or "/openapi.json"
    app.mount(ASSETS_PATH, StaticFiles(directory=swagger_ui_path), name="swagger-ui-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )
