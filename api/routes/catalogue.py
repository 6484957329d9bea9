"""``GET /v1/catalogue``: the job status names and the datasets a job may name, from the
contract (:func:`dsrs_client.contract.catalogue`), for clients that cannot import it (the
dashboard)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from dsrs_api.dependencies import get_settings
from dsrs_client.contract import CatalogueOut, catalogue
from dsrs_settings.api import ApiSettings
from dsrs_store.dataset_files import files_present

__all__ = ["router"]

router = APIRouter(prefix="/v1/catalogue", tags=["catalogue"])


@router.get("", response_model=CatalogueOut)
def get_catalogue(settings: Annotated[ApiSettings, Depends(get_settings)]) -> CatalogueOut:
    """The catalogue, each dataset marked with whether its files are on this server (the
    dashboard offers and preselects only those)."""
    found = catalogue()
    for dataset in found.datasets:
        dataset.on_server = files_present(settings.datasets_dir, dataset.name)
    return found
