"""The HTTP endpoints of ``/v1`` and ``/docs``, one module per resource; each exposes a
``router`` (or an ``install_*`` function) that :func:`dsrs_api.app.create_app` mounts."""
