"""The client's optional parts and the extras that install them: a missing one is an error
that says which ``pip install`` brings it (the bare client needs only httpx and pydantic).

=========  ================================  ==========================================
extra      installs                          needed by
=========  ================================  ==========================================
export     numpy, torch, onnx, onnxruntime   ``upload_module`` (a torch module to ONNX)
images     numpy, pillow                     ``read_image_folder`` / ``upload_image_folder``
=========  ================================  ==========================================
"""

from __future__ import annotations

import importlib

__all__ = ["EXTRAS", "MissingExtraError", "require_extra"]

#: Each extra and the modules it brings (as imported).
EXTRAS = {
    "export": ("numpy", "torch", "onnx", "onnxruntime"),
    "images": ("numpy", "PIL"),
}


class MissingExtraError(ImportError):
    """An optional part of the client is not installed; the message names the extra."""


def require_extra(extra: str, what: str) -> None:
    """Raise :class:`MissingExtraError` unless every module of ``extra`` imports."""
    missing = []
    for module in EXTRAS[extra]:
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise MissingExtraError(
            f"{what} needs the client's {extra!r} extra (missing: {', '.join(missing)}): "
            f"pip install 'dsrs-client[{extra}]'"
        )
