"""Redoc's script, served by DeFarm so the API reference asks nothing of other servers.

Redoc's standalone bundle (from drf-spectacular-sidecar) draws its "API docs by Redocly"
attribution with a logo fetched from Redocly's CDN, whatever the page's Content-Security-Policy
says. DeFarm serves the same bundle with that image replaced by an inline blank one.
"""

import functools
from importlib import resources

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

REDOC_BUNDLE = "static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
BLANK_IMAGE = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E"
)


@functools.cache
def redoc_bundle() -> bytes:
    source = (resources.files("drf_spectacular_sidecar") / REDOC_BUNDLE).read_text("utf-8")
    return source.replace(REDOC_CDN_LOGO, BLANK_IMAGE).encode()


@require_GET
@cache_control(public=True, max_age=24 * 60 * 60)
def redoc_script(request: HttpRequest) -> HttpResponse:
    return HttpResponse(redoc_bundle(), content_type="text/javascript; charset=utf-8")
