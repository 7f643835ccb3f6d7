"""The matches domain's read API: its routes (``/predictions``, ``/matches``, ``/competitions``,
``/performance``, ``/value-bets``), their response bodies, and its cache declaration.

Declared by :class:`formline.matches.domain.MatchesDomain` (``api_routers`` and ``api_cache``)
and mounted by :func:`formline.api.app.create_app`. Like the rest of the API it imports no
numerical library.
"""
