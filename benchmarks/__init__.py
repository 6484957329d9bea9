"""Benchmarks and scans of the engine and the service (figures in docs/benchmarks.md).

Each module is a script run from the repository root as ``python -m benchmarks.<name>``
(``--help`` for its options); they import the project's packages by their installed names
and the shared test support and references as ``tests.support`` and ``tests.references``.
"""
