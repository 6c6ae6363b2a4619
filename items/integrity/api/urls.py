from django.urls import re_path

from items.integrity.api import attestation_views, views

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
            # A captured EPCIS event is named by its eventID, which may hold slashes.
            rf"^{prefix}/items/(?P<dfid>{SEGMENT})/merkle-proof/(?P<event_id>.+?)/?$",
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

proofs = attestation_views.AttestationViewSet
urlpatterns += [
    re_path(r"^proofs/?$", proofs.as_view({"get": "list"}), name="proof-list"),
    re_path(r"^proofs/submit/?$", proofs.as_view({"post": "submit"}), name="proof-submit"),
    re_path(r"^proofs/verify/?$", proofs.as_view({"post": "verify"}), name="proof-verify"),
    re_path(
        r"^proofs/statistics/?$", proofs.as_view({"get": "statistics"}), name="proof-statistics"
    ),
    re_path(r"^proofs/templates/?$", proofs.as_view({"get": "templates"}), name="proof-templates"),
    re_path(
        rf"^proofs/(?P<proof_id>{SEGMENT})/?$",
        proofs.as_view({"get": "retrieve", "delete": "destroy"}),
        name="proof-detail",
    ),
    re_path(
        r"^public/attestation-key/?$",
        attestation_views.AttestationPublicKeyView.as_view(),
        name="public-attestation-key",
    ),
]
