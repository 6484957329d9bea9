"""The HTTP API (FastAPI). Build it with :func:`dsrs_api.app.create_app`; importing this
package imports no torch (upload validation imports it lazily)."""
