"""The dashboard: its pages and assets (:mod:`.routes`, assets in ``api/static/dashboard``)
and the read-side views its pages call (overview, per-sample table, input thumbnails)."""
