"""Chunks cover every sample of a job exactly once, in order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dsrs_store.chunks import chunk_count, chunk_range


@given(total=st.integers(1, 5000), chunk_size=st.integers(1, 300))
def test_chunks_partition_the_job(total: int, chunk_size: int) -> None:
    positions = [
        p for c in range(chunk_count(total, chunk_size)) for p in chunk_range(total, chunk_size, c)
    ]
    assert positions == list(range(total))
    assert all(
        1 <= len(chunk_range(total, chunk_size, c)) <= chunk_size
        for c in range(chunk_count(total, chunk_size))
    )
