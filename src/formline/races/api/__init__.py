"""The races domain's read API: its routes (``/races``, ``/races/{id}``, ``/horses/{id}``,
``/jockeys/{id}``, ``/trainers/{id}``), their response bodies, and its cache declaration
(:data:`formline.races.api.cache.RACES_CACHE`).

Declared by the races domain (``api_routers`` and ``api_cache``) and mounted by
:func:`formline.api.app.create_app`. Like the rest of the API it imports no numerical library.
"""

#: What the races domain declares as its ``api_routers`` (kept equal to
#: :attr:`formline.races.domain.RacesDomain.api_routers` by a test).
RACES_API_ROUTERS = (
    "formline.races.api.routes.races:router",
    "formline.races.api.routes.form:router",
)
#: What the races domain declares as its ``api_cache``.
RACES_API_CACHE = "formline.races.api.cache:RACES_CACHE"
