"""Errors raised by the certification engine.

Tree::

    DsrsError
    ├── InvalidParameterError (also a ValueError)   bad user input: says what is allowed
    └── NumericalError        (also ArithmeticError) a solver or quadrature could not prove
                                                     what it was asked; callers fail closed
        └── BracketError                             a root was not bracketed

Radius searches catch :class:`NumericalError` and report "not certified at that radius"
with the reason; they never let it escape to the caller.
"""

__all__ = ["BracketError", "DsrsError", "InvalidParameterError", "NumericalError"]


class DsrsError(Exception):
    """Base class of every error raised by ``dsrs_core``."""


class InvalidParameterError(DsrsError, ValueError):
    """A parameter is outside its allowed range; the message says what is allowed."""


class NumericalError(DsrsError, ArithmeticError):
    """A numerical step failed; the affected radius is treated as not certified."""


class BracketError(NumericalError):
    """A monotone root search found the same sign at both ends of its bracket."""
