"""Attestations at the earlier engine's ``/api/proofs`` routes (``CONTRACT.md`` §8.19), and
the public key that checks them.

The engine called these zero-knowledge proofs and faked them. DeFarm does not claim zero
knowledge: an attestation is a statement DeFarm evaluated and signed with its Ed25519 key. The
submitter's private inputs are seen by DeFarm while it evaluates the claim, then only their
salted SHA-256 commitments are kept (inside the signed statement); the salts are returned once
to the submitter, who can open a commitment to whoever they choose. Anyone holding the
statement and the public key (``/.well-known/defarm-attestation-key``) can check the signature
without DeFarm."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from defarm.api.envelopes import success_with
from items.integrity import selectors, services, signing
from items.integrity.api import attestation_serializers as serializers
from items.integrity.claims import TEMPLATES
from items.integrity.models import Attestation, ClaimType

TAGS = ["attestations"]
HONESTY = (
    "\n\nThese are **signed attestations, not zero-knowledge proofs**: DeFarm sees the private "
    "inputs while it evaluates the claim, keeps only salted SHA-256 commitments to them, and "
    "signs the statement with its Ed25519 key (public key: "
    "`/.well-known/defarm-attestation-key`)."
)
PAGING_PARAMETERS = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="Rows (default 100, at most 1,000)."),
    OpenApiParameter("offset", OpenApiTypes.INT, description="Rows to skip."),
]


class AttestationViewSet(viewsets.GenericViewSet):
    lookup_field = "proof_id"

    def get_queryset(self):  # the schema needs one; every read is scoped to the caller
        if getattr(self, "swagger_fake_view", False):
            return Attestation.objects.none()
        return selectors.attestations_visible_to(user=self.request.user)

    @extend_schema(
        tags=TAGS,
        summary="Submit a claim to be evaluated and signed",
        description="Checks the template's inputs and its predicate (see `templates`); 400 "
        "`claim_not_satisfied` when it does not hold (nothing is stored), 400 "
        "`unsupported_claim_type` for a custom type. Answers the signed statement and, once, "
        "the salts of the private inputs' commitments." + HONESTY,
        request=serializers.SubmitSerializer,
        responses=serializers.SubmitAnswerSerializer,
        examples=[
            OpenApiExample(
                "Organic certification",
                value={
                    "circuit_type": "OrganicCertification",
                    "circuit_input": {
                        "certificate_id": "BR-BIO-0042",
                        "certification_body": "IBD Certificações",
                        "expiry_date": "2027-06-30",
                    },
                    "private_inputs": {
                        "certificate_hash": "9f2c41d0",
                        "verification_code": "A7-551",
                    },
                },
                request_only=True,
            )
        ],
    )
    def submit(self, request: Request) -> Response:
        body = serializers.SubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        submitted = services.attestation_submit(
            user=request.user,
            claim_type=body.validated_data["circuit_type"],
            public_inputs=body.validated_data["circuit_input"],
            private_inputs=body.validated_data["private_inputs"],
        )
        attestation = submitted.attestation
        response = success_with(
            proof_id=attestation.attestation_id,
            message="Proof submitted successfully",
            statement=attestation.statement,
            signature=attestation.signature,
            key_id=attestation.key_id,
            openings=submitted.openings,
        )
        response.data["status"] = attestation.status  # ``status`` is success_with's own keyword
        return response

    @extend_schema(
        tags=TAGS,
        summary="Check an attestation's signature (and openings)",
        description="Checks the stored statement's signature with DeFarm's public key (or "
        "`verification_key`), and each opening `{salt, value}` given against its commitment. "
        "A check under DeFarm's key records `Verified` or `Failed`. Only the submitter (or "
        "staff) may ask; anyone else checks offline with the public key." + HONESTY,
        request=serializers.VerifySerializer,
        responses=serializers.VerifyAnswerSerializer,
        examples=[
            OpenApiExample(
                "Verify",
                value={"proof_id": "0b6f3c1e-6d2a-4b8e-9a51-2f1f0c9d7e41"},
                request_only=True,
            )
        ],
    )
    def verify(self, request: Request) -> Response:
        body = serializers.VerifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        attestation = selectors.attestation_get_visible(
            user=request.user, attestation_id=body.validated_data["proof_id"]
        )
        outcome = services.attestation_verify(
            attestation=attestation,
            verification_key=body.validated_data.get("verification_key"),
            openings=body.validated_data.get("openings"),
        )
        result = {
            "is_valid": outcome.is_valid,
            "verification_timestamp": outcome.verified_at,
            "verifier_id": request.user.pk,
            "confidence_score": 1.0 if outcome.is_valid else 0.0,
            "metadata": {
                "signature_valid": outcome.signature_valid,
                "expired": outcome.expired,
                "openings_valid": outcome.openings_valid,
                "key_id": attestation.key_id,
                "reason": outcome.reason,
            },
        }
        return success_with(
            verification_result=serializers.VerificationResultSerializer(result).data
        )

    @extend_schema(
        tags=TAGS,
        summary="The caller's attestations, newest first",
        description="Staff see everyone's (`user_id` picks one user); a `user_id` naming "
        "another user is 403 for anyone else. `count` is the number in this answer, "
        "`X-Total-Count` the number matching, `Link` the neighbouring pages." + HONESTY,
        parameters=[
            OpenApiParameter("user_id", OpenApiTypes.STR),
            OpenApiParameter(
                "circuit_type",
                OpenApiTypes.STR,
                description="organic_certification, pesticide_threshold, quality_grade, "
                "ownership_proof, timestamp_freshness (any other name: a custom type, none).",
            ),
            OpenApiParameter("status", OpenApiTypes.STR, enum=list(selectors.EFFECTIVE_STATUSES)),
            OpenApiParameter("start_date", OpenApiTypes.DATETIME),
            OpenApiParameter("end_date", OpenApiTypes.DATETIME),
            *PAGING_PARAMETERS,
        ],
        responses=serializers.AttestationListAnswerSerializer,
    )
    def list(self, request: Request) -> Response:
        query = serializers.ListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        prover_id = query.validated_data.get("user_id")
        if prover_id and prover_id != request.user.pk and not request.user.is_admin:
            raise exceptions.PermissionDenied("You may list only your own attestations.")
        attestations = selectors.attestations_list(
            user=request.user,
            prover_id=prover_id,
            claim_type=query.validated_data.get("circuit_type"),
            status=query.validated_data.get("status"),
            start=query.validated_data.get("start_date"),
            end=query.validated_data.get("end_date"),
        )
        page = self.paginator.paginate_queryset(attestations, request, view=self)
        data = serializers.AttestationSerializer(page, many=True).data
        response = success_with(proofs=data, count=len(data))
        for name, value in self.paginator.get_headers().items():
            response[name] = value
        return response

    @extend_schema(
        tags=TAGS,
        summary="Counts of the caller's attestations",
        description="By status and by claim type (staff: over everyone's).",
        responses=serializers.StatisticsAnswerSerializer,
    )
    def statistics(self, request: Request) -> Response:
        stats = selectors.attestation_statistics(user=request.user)
        answer = {
            "total_proofs": stats.total,
            "pending_proofs": stats.pending,
            "verified_proofs": stats.verified,
            "failed_proofs": stats.failed,
            "expired_proofs": stats.expired,
            "proof_types": {
                ClaimType(claim).label: count for claim, count in stats.by_claim_type.items()
            },
        }
        return success_with(statistics=serializers.StatisticsSerializer(answer).data)

    @extend_schema(
        tags=TAGS,
        summary="The claims DeFarm attests and the inputs each takes",
        description="`predicate` says what DeFarm checks before it signs." + HONESTY,
        responses=serializers.TemplatesAnswerSerializer,
    )
    def templates(self, request: Request) -> Response:
        templates = {
            claim: {
                "description": template.description,
                "required_inputs": list(template.required_inputs),
                "private_inputs": list(template.private_inputs),
                "predicate": template.predicate,
            }
            for claim, template in TEMPLATES.items()
        }
        return success_with(templates=templates)

    @extend_schema(
        tags=TAGS,
        summary="One of the caller's attestations",
        responses=serializers.AttestationAnswerSerializer,
    )
    def retrieve(self, request: Request, proof_id: str) -> Response:
        attestation = selectors.attestation_get_visible(user=request.user, attestation_id=proof_id)
        return success_with(proof=serializers.AttestationSerializer(attestation).data)

    @extend_schema(
        tags=TAGS,
        summary="Delete one of the caller's attestations",
        description="The row is removed; copies of the signed statement held elsewhere still "
        "check against the public key.",
        responses=serializers.DeletedAnswerSerializer,
    )
    def destroy(self, request: Request, proof_id: str) -> Response:
        attestation = selectors.attestation_get_visible(user=request.user, attestation_id=proof_id)
        services.attestation_delete(attestation=attestation)
        return success_with(message="Proof deleted successfully")


class AttestationPublicKeyView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        summary="The public key that checks DeFarm's attestations",
        description="Ed25519. A statement's signature covers its canonical JSON: keys sorted, "
        "no whitespace, UTF-8 (Python `json.dumps(statement, sort_keys=True, "
        'separators=(",", ":"), ensure_ascii=False)`). A commitment is '
        "SHA-256(salt || canonical JSON of the value), in hex.",
        responses=serializers.PublicKeySerializer,
    )
    def get(self, request: Request) -> Response:
        answer = {
            "algorithm": signing.ALGORITHM,
            "key_id": signing.key_id(),
            "public_key": signing.public_key_base64(),
            "public_key_pem": signing.public_key_pem(),
            "statement_encoding": "canonical JSON (sorted keys, no whitespace, UTF-8)",
            "commitment_scheme": services.COMMITMENT_SCHEME,
        }
        return Response(serializers.PublicKeySerializer(answer).data)
