"""Persistence shared by the API and the worker: engine and session factories, tables,
repository functions and the programmatic migration step (settings: :mod:`dsrs_settings`)."""
