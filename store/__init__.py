"""Persistence shared by the API and the worker: settings, engine and session factories,
tables, repository functions and the programmatic migration step."""
