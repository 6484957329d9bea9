"""A job dispatcher that sends nothing: jobs stay queued, so tests of submission see
exactly what was stored (quotas in flight, refusals) and no job costs sampling."""

from __future__ import annotations


class IdleDispatcher:
    def enqueue(self, job_id: str, chunks: int) -> None:
        return None

    def ping(self) -> None:
        return None

    def close(self) -> None:
        return None
