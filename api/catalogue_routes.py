"""``GET /v1/catalogue``: the job status names and the datasets a job may name, from the
contract (:func:`dsrs_client.contract.catalogue`), for clients that cannot import it (the
dashboard)."""

from __future__ import annotations

from fastapi import APIRouter

from dsrs_client.contract import CatalogueOut, catalogue

__all__ = ["router"]

router = APIRouter(prefix="/v1/catalogue", tags=["catalogue"])


@router.get("", response_model=CatalogueOut)
def get_catalogue() -> CatalogueOut:
    return catalogue()
