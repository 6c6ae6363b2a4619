from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from defarm import health
from defarm.api.docs import redoc_script
from defarm.api.index import ApiIndexView
from items.integrity.api.attestation_views import AttestationPublicKeyView

urlpatterns = [
    re_path(r"^$", health.RootView.as_view(), name="root"),
    re_path(r"^health/?$", health.HealthView.as_view(), name="health"),
    re_path(r"^health/db/?$", health.DatabaseHealthView.as_view(), name="health-db"),
    re_path(r"^healthz/?$", health.HealthzView.as_view(), name="healthz"),
    re_path(r"^api/?$", ApiIndexView.as_view(), name="api-index"),
    re_path(
        r"^\.well-known/defarm-attestation-key/?$",
        AttestationPublicKeyView.as_view(),
        name="attestation-key",
    ),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/redoc/redoc.standalone.js", redoc_script, name="redoc-script"),
    path("api/", include("accounts.api.urls")),
    path("api/", include("items.api.urls")),
    path("api/", include("circuits.api.urls")),
    path("api/", include("adapters.api.urls")),
    path("api/", include("items.integrity.api.urls")),
    path("api/", include("items.snapshots.api.urls")),
    path("audit/audit/", include("audit.api.urls")),
    path("epcis/", include("items.epcis.api.urls")),
    path("", include("accounts.api.root_urls")),
    path("", include("items.snapshots.api.root_urls")),
]

handler400 = "defarm.views.bad_request"
handler403 = "defarm.views.permission_denied"
handler404 = "defarm.views.not_found"
handler500 = "defarm.views.server_error"
