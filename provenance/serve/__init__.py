"""``provenance serve``: the client's local page and the publisher's HTTP API.

One ASGI application (Starlette, run by uvicorn) over the same library calls
and renderers as the CLI: uploads are verified by the isolated worker
processes of :mod:`provenance.volume.batch`, each page result is the HTML
report's own fragment (:mod:`provenance.report.html`), and the API returns the
``verify --format json`` objects (schema/report.schema.json).

Modules: :mod:`.config` (the settings of one server, checked once),
:mod:`.uploads` (streaming multipart to a private temp folder, size limits),
:mod:`.work` (bounded concurrency and the queue, verification in workers),
:mod:`.security` (Host allow-list, headers, CSRF, bearer token),
:mod:`.problems` (RFC 9457 problem details), :mod:`.page` and :mod:`.api`
(the routes), :mod:`.openapi` (the API description), :mod:`.app` (assembly and
:func:`~provenance.serve.app.serve`).

Nothing here is imported by any other command: the server stack (Starlette,
uvicorn, jinja2, python-multipart) loads only for ``provenance serve``.
"""

from provenance.serve.config import ServeConfig, is_loopback

__all__ = ["ServeConfig", "is_loopback"]
