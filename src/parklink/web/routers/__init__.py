"""API routers, one per domain (mounted under ``/api`` by :func:`parklink.web.app.create_app`)."""
