"""Serve an app with uvicorn on a background thread (the demo, and tests that need a real
HTTP server)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from dsrs_api.middleware.read_timeouts import uvicorn_options

__all__ = ["running_server"]

START_TIMEOUT_S = 30.0


@contextmanager
def running_server(app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Start ``app`` on ``host`` (port 0: a free one); yields its base URL; stops on exit."""
    options = uvicorn_options(app.state.settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on", **options)
    )
    thread = threading.Thread(target=server.run, name="dsrs-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.01)
    bound_port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
