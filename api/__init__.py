"""The HTTP API (FastAPI). Build it with :func:`dsrs_api.app.create_app`; importing this
package imports no torch (upload validation imports it lazily).

=====================  ===========================================================================
``app``                the application factory: middleware, routers, the dashboard
``dependencies``       request-scoped dependencies (settings, session, dispatcher)
``authentication``     the ``X-API-Key`` header resolved to the admin or a tenant
``id_paths``           ids in URL paths (a unique prefix is enough)
``pagination``         bounds of the list parameters
``errors``             errors of the API; ``error_handlers`` turns every error into a status
``background_server``  uvicorn on a background thread (the demo, tests)
``routes/``            the endpoints, one module per resource
``dashboard/``         the dashboard's pages, assets and read-side views
``middleware/``        admission, body and read-time limits, NUL guard, security headers
``services/``          what the routes call: jobs, uploads, reports, comparisons, dispatch
=====================  ===========================================================================
"""
