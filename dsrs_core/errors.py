"""Errors raised by the certification engine.

Tree::

    DsrsError
    ├── InvalidParameterError (also a ValueError)   bad user input: says what is allowed
    ├── StoppedRunError                              draws offered to a sequential run that
    │                                                has stopped (a stopped input never resumes)
    └── NumericalError        (also ArithmeticError) a solver or quadrature could not prove
                                                     what it was asked; callers fail closed
        └── BracketError                             a root was not bracketed

Radius searches catch :class:`NumericalError` and report "not certified at that radius"
with the reason; they never let it escape to the caller.
"""

__all__ = [
    "BracketError",
    "DsrsError",
    "InvalidParameterError",
    "NumericalError",
    "StoppedRunError",
]


class DsrsError(Exception):
    """Base class of every error raised by ``dsrs_core``."""


class InvalidParameterError(DsrsError, ValueError):
    """A parameter is outside its allowed range; the message says what is allowed."""


class StoppedRunError(DsrsError):
    """A sequential run that has stopped was given more draws; its decision is final."""


class NumericalError(DsrsError, ArithmeticError):
    """A numerical step failed; the affected radius is treated as not certified."""


class BracketError(NumericalError):
    """A monotone root search found the same sign at both ends of its bracket."""
