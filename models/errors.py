"""Errors raised by the ``models`` package (base classifiers and uploads).

Tree::

    ModelError                                    anything wrong with a base classifier
    ├── UnsupportedFormatError (also ValueError)  the upload is not a format we load
    │   └── UnsafeFormatError                     pickle / TorchScript: refused, never opened
    ├── ModelValidationError (also ValueError)    a supported format whose content does not
    │                                             fit (keys, shapes, header, ONNX checks)
    ├── UnknownArchitectureError (also KeyError)  the name is not in the allow-list
    └── DatasetUnavailableError                   dataset files are not on disk (no download)

    InputFileError (also ValueError)              an input array file that cannot be read
    └── UnsupportedInputFileError                 not .npy/.npz/safetensors with the arrays
                                                  we read, or pickled objects

The API maps ``UnsupportedFormatError`` and ``UnsupportedInputFileError`` to 415,
``ModelValidationError``, ``UnknownArchitectureError`` and ``InputFileError`` (a limit
stopped the sandboxed reader) to 422; ``DatasetUnavailableError`` is a server-side setup
problem. Foreign exceptions (safetensors, onnx, onnxruntime) are translated into this tree
where the upload is read.
"""

from __future__ import annotations

__all__ = [
    "DatasetUnavailableError",
    "InputFileError",
    "ModelError",
    "ModelValidationError",
    "UnknownArchitectureError",
    "UnsafeFormatError",
    "UnsupportedFormatError",
    "UnsupportedInputFileError",
]


class ModelError(Exception):
    """Base class of every error raised by ``models``."""


class UnsupportedFormatError(ModelError, ValueError):
    """The uploaded bytes are not a safetensors state dict or an ONNX model.

    ``detected`` names what the content looks like (``"pickle"``, ``"torchscript"``,
    ``"torch-zip"``, ``"numpy"``, ``"unknown"``, ...).
    """

    def __init__(self, message: str, detected: str = "unknown") -> None:
        super().__init__(message)
        self.detected = detected


class UnsafeFormatError(UnsupportedFormatError):
    """The upload is a format that can execute code when loaded (pickle, TorchScript).

    Such files are recognised by their content and refused without being deserialised.
    """


class ModelValidationError(ModelError, ValueError):
    """A supported upload whose content does not match what was declared."""


#: Where a refused upload sends its user (the README section with the ONNX contract).
OWN_MODEL_HINT = (
    "Any other network: export it to ONNX on your side (DsrsClient.upload_module, or "
    "dsrs models upload --module FILE.py:FACTORY); README, 'Certify your own model'."
)


class UnknownArchitectureError(ModelError, KeyError):
    """The architecture name is not in the allow-list registry."""

    def __str__(self) -> str:  # KeyError would print the repr of the message
        return str(self.args[0]) if self.args else ""


class DatasetUnavailableError(ModelError):
    """A dataset was asked for whose files are not on disk (nothing is ever downloaded)."""


class InputFileError(ValueError):
    """An input array file (inputs and optional labels) that cannot be read."""


class UnsupportedInputFileError(InputFileError):
    """An input array file that is not a format we read, or that holds what we refuse."""
