"""Fault injection for ``tests/integration/test_chunk_claim_faults.py``, loaded by every
interpreter started with this directory on ``PYTHONPATH`` (the worker under test only).

``INJECT_CLAIM_FAILURES=N``: the first N claims (counted across the worker's processes in
the file ``INJECT_COUNTER``) raise before any lease exists, as a failing import or a
database that stayed away did. ``INJECT_NO_RETRY=1``: the task does not send itself again
(as when the broker is away too), so only the sweeper can redo the chunk.
"""

import os

if os.environ.get("INJECT_CLAIM_FAILURES"):
    from dsrs_worker import celery_app

    failures = int(os.environ["INJECT_CLAIM_FAILURES"])
    counter = os.environ["INJECT_COUNTER"]
    claim = celery_app.claim_chunk

    def failing_claim(*args, **kwargs):  # type: ignore[no-untyped-def]
        descriptor = os.open(counter, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(descriptor, b".")
        finally:
            os.close(descriptor)
        if os.path.getsize(counter) <= failures:
            raise RuntimeError("injected failure before the claim")
        return claim(*args, **kwargs)

    celery_app.claim_chunk = failing_claim
    if os.environ.get("INJECT_NO_RETRY"):
        celery_app.CLAIM_RETRIES = 0
