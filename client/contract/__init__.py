"""The contract between the dsrs service and its clients: request and response bodies,
the typed job parameters and their defaults, job status names and the dataset catalogue.

Depends on pydantic only. The API, the worker, the command line, the Python client and
the benchmarks all import it, so a parameter added here travels API → database JSON →
worker → engine config typed.

=====================  ==========================================================
``job_parameters``     :class:`JobParameters`, :class:`JobCreate` and their parts
``defaults``           the parameters' defaults (plain constants)
``bounds``             the bounds of every number a client may send (plain constants)
``schemas``            response bodies (:class:`JobOut`, :class:`SampleOut`, ...)
``choices``            the named choices of the parameters (``Literal`` types)
``job_status``         status names, which are final
``dataset_catalogue``  the dataset catalogue and the built-in splits
=====================  ==========================================================

Names are imported on first use, so that ``dsrs_client.contract.defaults`` can be read
without pydantic (the command line builds its options from it at import).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dsrs_client.contract.bounds import (
        MAX_BATCH_SIZE,
        MAX_COUNT,
        MAX_DIMENSION,
        MAX_FINAL_SHARE,
        MAX_INDICES,
        MAX_K,
        MAX_LOOK_GROWTH,
        MAX_RADIUS,
        MAX_RADIUS_UNIT,
        MAX_SEED,
        MAX_SIGMA,
        MAX_TARGET_RADII,
        MIN_ALPHA,
        MIN_FINAL_SHARE,
        MIN_LOOK_GROWTH,
        MIN_RADIUS_TOLERANCE,
        MIN_RADIUS_UNIT,
        MIN_SEQUENTIAL_TOLERANCE,
        MIN_SIGMA,
    )
    from dsrs_client.contract.choices import (
        Baseline,
        Check,
        CheckOutcome,
        JobMode,
        NoiseFamily,
        RadiusMethod,
        RadiusMode,
    )
    from dsrs_client.contract.dataset_catalogue import (
        BUILTIN_SPLITS,
        DATASET_NAMES,
        DATASETS,
        BuiltinSplit,
        Dataset,
        DatasetName,
        builtin_split,
    )
    from dsrs_client.contract.defaults import (
        DEFAULT_ALPHA,
        DEFAULT_BATCH_SIZE,
        DEFAULT_CONFIDENCE,
        DEFAULT_N,
        DEFAULT_N_SELECTION,
        DEFAULT_RADIUS_TOLERANCE,
        DEFAULT_RADIUS_UNIT,
    )
    from dsrs_client.contract.job_parameters import (
        InputsIn,
        JobCreate,
        JobParameters,
        NoiseIn,
        QIn,
        RadiusSearchIn,
        SequentialIn,
        Text,
        plan_parameters,
    )
    from dsrs_client.contract.job_status import (
        ACTIVE_STATUSES,
        FINAL_STATUSES,
        JOB_STATUSES,
        JobStatus,
    )
    from dsrs_client.contract.result_csv import (
        RESULT_CSV_COLUMNS,
        read_result_csv,
        write_result_csv,
    )
    from dsrs_client.contract.schemas import (
        AccuracyMetric,
        CatalogueOut,
        CertificateFigures,
        CertifiedAccuracyRow,
        ComparedJob,
        Comparison,
        DatasetOut,
        EstimateOut,
        InputSetOut,
        Interval,
        JobOut,
        JobProgressOut,
        JobTimings,
        ModelOut,
        PlanOut,
        ResultsPage,
        SampleOut,
        SequentialSavingOut,
        Summary,
        catalogue,
    )

#: The submodules, pydantic-free ones first: a name is looked up in this order.
_SUBMODULES = (
    "defaults",
    "bounds",
    "choices",
    "job_status",
    "dataset_catalogue",
    "job_parameters",
    "schemas",
    "result_csv",
)

__all__ = [
    "ACTIVE_STATUSES",
    "BUILTIN_SPLITS",
    "DATASETS",
    "DATASET_NAMES",
    "DEFAULT_ALPHA",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_CONFIDENCE",
    "DEFAULT_N",
    "DEFAULT_N_SELECTION",
    "DEFAULT_RADIUS_TOLERANCE",
    "DEFAULT_RADIUS_UNIT",
    "FINAL_STATUSES",
    "JOB_STATUSES",
    "MAX_BATCH_SIZE",
    "MAX_COUNT",
    "MAX_DIMENSION",
    "MAX_FINAL_SHARE",
    "MAX_INDICES",
    "MAX_K",
    "MAX_LOOK_GROWTH",
    "MAX_RADIUS",
    "MAX_RADIUS_UNIT",
    "MAX_SEED",
    "MAX_SIGMA",
    "MAX_TARGET_RADII",
    "MIN_ALPHA",
    "MIN_FINAL_SHARE",
    "MIN_LOOK_GROWTH",
    "MIN_RADIUS_TOLERANCE",
    "MIN_RADIUS_UNIT",
    "MIN_SEQUENTIAL_TOLERANCE",
    "MIN_SIGMA",
    "RESULT_CSV_COLUMNS",
    "AccuracyMetric",
    "Baseline",
    "BuiltinSplit",
    "CatalogueOut",
    "CertificateFigures",
    "CertifiedAccuracyRow",
    "Check",
    "CheckOutcome",
    "ComparedJob",
    "Comparison",
    "Dataset",
    "DatasetName",
    "DatasetOut",
    "EstimateOut",
    "InputSetOut",
    "InputsIn",
    "Interval",
    "JobCreate",
    "JobMode",
    "JobOut",
    "JobParameters",
    "JobProgressOut",
    "JobStatus",
    "JobTimings",
    "ModelOut",
    "NoiseFamily",
    "NoiseIn",
    "PlanOut",
    "QIn",
    "RadiusMethod",
    "RadiusMode",
    "RadiusSearchIn",
    "ResultsPage",
    "SampleOut",
    "SequentialIn",
    "SequentialSavingOut",
    "Summary",
    "Text",
    "builtin_split",
    "catalogue",
    "plan_parameters",
    "read_result_csv",
    "write_result_csv",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        for submodule in _SUBMODULES:
            module = import_module(f"{__name__}.{submodule}")
            if name in module.__all__:
                value = getattr(module, name)
                globals()[name] = value
                return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
