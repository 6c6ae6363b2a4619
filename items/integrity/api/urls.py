from django.urls import re_path

from items.integrity.api import views

SEGMENT = r"[^/]+"

urlpatterns = []
for prefix, public in (("merkle", ""), ("public/merkle", "Public")):
    name = "public-merkle" if public else "merkle"
    urlpatterns += [
        re_path(
            rf"^{prefix}/items/(?P<dfid>{SEGMENT})/merkle-root/?$",
            getattr(views, f"{public}ItemMerkleRootView").as_view(),
            name=f"{name}-item-root",
        ),
        re_path(
            rf"^{prefix}/items/(?P<dfid>{SEGMENT})/merkle-proof/(?P<event_id>{SEGMENT})/?$",
            getattr(views, f"{public}ItemEventProofView").as_view(),
            name=f"{name}-event-proof",
        ),
        re_path(
            rf"^{prefix}/circuits/(?P<circuit_id>{SEGMENT})/merkle-root/?$",
            getattr(views, f"{public}CircuitMerkleRootView").as_view(),
            name=f"{name}-circuit-root",
        ),
        re_path(
            rf"^{prefix}/circuits/(?P<circuit_id>{SEGMENT})/merkle-proof/(?P<dfid>{SEGMENT})/?$",
            getattr(views, f"{public}CircuitItemProofView").as_view(),
            name=f"{name}-item-proof",
        ),
        re_path(
            rf"^{prefix}/verify-proof/?$",
            getattr(views, f"{public}VerifyProofView").as_view(),
            name=f"{name}-verify-proof",
        ),
    ]
urlpatterns.append(
    re_path(
        rf"^merkle/circuits/(?P<circuit_id>{SEGMENT})/sync-check/?$",
        views.CircuitSyncCheckView.as_view(),
        name="merkle-sync-check",
    )
)
