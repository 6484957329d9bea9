"""Celery task names shared by the API (producer) and the worker (consumer): the API
enqueues by name and never imports the worker."""

from __future__ import annotations

__all__ = ["CERTIFY_CHUNK_TASK"]

#: One chunk of one job (registered by :mod:`dsrs_worker.celery_app`).
CERTIFY_CHUNK_TASK = "dsrs.certify_chunk"
