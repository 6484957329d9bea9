"""Errors raised by the worker package.

Tree::

    WorkerError
    └── DeviceUnavailableError   DSRS_DEVICE asks for a device this machine does not have

Errors of the packages the worker calls (``models``, ``dsrs_core``, ``store``) are not
translated: the chunk service records any failure on the job row (status ``failed`` with
the error's type and message) and re-raises it for Celery's log.
"""

from __future__ import annotations

__all__ = ["DeviceUnavailableError", "WorkerError"]


class WorkerError(Exception):
    """Base class of every error raised by ``worker``."""


class DeviceUnavailableError(WorkerError, RuntimeError):
    """The configured device is not present."""
