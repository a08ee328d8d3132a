"""The matchcore HTTP service: a thin, careful Flask layer over :mod:`matchcore`.

``create_app`` lives in :mod:`service.app`; see ``service/README.md``.
"""
