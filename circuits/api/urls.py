from django.urls import re_path

from circuits.api.views import CircuitViewSet, PublicCircuitView
from circuits.api.webhooks import WebhookViewSet
from defarm.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("circuits", CircuitViewSet, basename="circuit")
router.register(
    r"circuits/(?P<circuit_id>[^/.]+)/webhooks", WebhookViewSet, basename="circuit-webhook"
)

urlpatterns = [
    re_path(
        r"^public/circuits/(?P<circuit_id>[^/]+)/?$",
        PublicCircuitView.as_view(),
        name="public-circuit",
    ),
    *router.urls,
]
