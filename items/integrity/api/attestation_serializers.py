"""The earlier engine's "zk proofs" shapes (``CONTRACT.md`` §8.19), answered by signed
attestations: ``proof_id``, ``circuit_type`` (``OrganicCertification`` ... ), ``status``
(``Pending``/``Verified``/``Failed``/``Expired``), ``proof_data`` (the base64 Ed25519
signature), plus the signed ``statement`` and the ``key_id`` that signed it."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from defarm.api.exceptions import ApiError
from items.integrity.models import Attestation, ClaimType
from items.integrity.selectors import EFFECTIVE_STATUSES, attestation_effective_status

MAX_INPUTS = 64
PASCAL_TO_CLAIM = {label: value for value, label in ClaimType.choices}


def claim_type_parse(value: Any) -> str:
    """``OrganicCertification`` or ``organic_certification`` (the engine's two spellings) to
    the claim type; ``{"Custom": name}`` and unknown names: 400 (no predicate to evaluate)."""
    if isinstance(value, str):
        if value in PASCAL_TO_CLAIM:
            return PASCAL_TO_CLAIM[value]
        if value in ClaimType.values:
            return value
    raise ApiError(
        "DeFarm attests only these claim types: "
        + ", ".join(label for _, label in ClaimType.choices)
        + ". A custom claim has no predicate DeFarm can evaluate.",
        code="unsupported_claim_type",
        details={"circuit_type": value if isinstance(value, (str, dict)) else str(value)},
    )


def claim_type_label(claim_type: str) -> str:
    return ClaimType(claim_type).label


@extend_schema_field(OpenApiTypes.STR)
class ClaimTypeField(serializers.Field):
    def to_internal_value(self, data):
        return claim_type_parse(data)

    def to_representation(self, value):
        return claim_type_label(value)


class InputsField(serializers.DictField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if len(value) > MAX_INPUTS:
            raise serializers.ValidationError(f"At most {MAX_INPUTS} inputs.")
        return value


class SubmitSerializer(serializers.Serializer):
    circuit_type = ClaimTypeField(
        help_text="OrganicCertification, PesticideThreshold, QualityGrade, OwnershipProof or "
        "TimestampFreshness (snake_case accepted)."
    )
    circuit_input = InputsField(help_text="Public inputs: stated in clear in the attestation.")
    private_inputs = InputsField(
        help_text="Private inputs: evaluated, committed (salted SHA-256), never stored."
    )
    metadata = serializers.DictField(required=False, allow_null=True, help_text="Ignored.")


class SubmitAnswerSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    proof_id = serializers.UUIDField()
    message = serializers.CharField()
    status = serializers.CharField()
    statement = serializers.JSONField()
    signature = serializers.CharField()
    key_id = serializers.CharField()
    openings = serializers.DictField(
        child=serializers.CharField(),
        help_text="Salt (hex) of each private input's commitment. Shown once: DeFarm does not "
        "keep it. With the value, it opens the commitment.",
    )


class OpeningSerializer(serializers.Serializer):
    salt = serializers.RegexField(r"^[0-9a-fA-F]{1,256}$")
    value = serializers.JSONField()


class VerifySerializer(serializers.Serializer):
    proof_id = serializers.UUIDField()
    verification_key = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=128,
        help_text="Base64 Ed25519 public key to check the signature with (default: DeFarm's).",
    )
    openings = serializers.DictField(
        child=OpeningSerializer(),
        required=False,
        help_text="Optional {name: {salt, value}} to check against the commitments.",
    )


class VerificationResultSerializer(serializers.Serializer):
    is_valid = serializers.BooleanField()
    verification_timestamp = serializers.DateTimeField()
    verifier_id = serializers.CharField()
    confidence_score = serializers.FloatField()
    metadata = serializers.DictField()


class VerifyAnswerSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    verification_result = VerificationResultSerializer()


class AttestationSerializer(serializers.ModelSerializer):
    proof_id = serializers.UUIDField(source="attestation_id")
    user_id = serializers.CharField(source="prover_id")
    circuit_type = ClaimTypeField(source="claim_type")
    status = serializers.SerializerMethodField()
    proof_data = serializers.CharField(source="signature", help_text="Base64 Ed25519 signature.")
    error_message = serializers.SerializerMethodField()
    metadata = serializers.SerializerMethodField()
    kind = serializers.SerializerMethodField()

    class Meta:
        model = Attestation
        fields = [
            "proof_id",
            "user_id",
            "circuit_type",
            "status",
            "proof_data",
            "verification_result",
            "error_message",
            "metadata",
            "created_at",
            "updated_at",
            "kind",
            "statement",
            "signature",
            "key_id",
            "valid_until",
            "verified_at",
        ]
        read_only_fields = fields

    def get_status(self, obj: Attestation) -> str:
        return attestation_effective_status(obj)

    def get_error_message(self, obj: Attestation) -> str | None:
        return None

    def get_metadata(self, obj: Attestation) -> dict | None:
        return None

    def get_kind(self, obj: Attestation) -> str:
        return "signed_attestation"


class AttestationAnswerSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    proof = AttestationSerializer()


@extend_schema_serializer(many=False)  # one envelope holding the page, not a list of envelopes
class AttestationListAnswerSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    proofs = AttestationSerializer(many=True)
    count = serializers.IntegerField()


class ListQuerySerializer(serializers.Serializer):
    user_id = serializers.CharField(required=False)
    circuit_type = serializers.CharField(required=False)
    status = serializers.ChoiceField(choices=EFFECTIVE_STATUSES, required=False)
    start_date = serializers.DateTimeField(required=False)
    end_date = serializers.DateTimeField(required=False)

    def validate_circuit_type(self, value: str) -> str:
        """The engine's snake_case names (PascalCase accepted); any other name is a custom
        type, of which DeFarm holds none."""
        return PASCAL_TO_CLAIM.get(value, value)


class StatisticsSerializer(serializers.Serializer):
    total_proofs = serializers.IntegerField()
    pending_proofs = serializers.IntegerField()
    verified_proofs = serializers.IntegerField()
    failed_proofs = serializers.IntegerField()
    expired_proofs = serializers.IntegerField()
    proof_types = serializers.DictField(child=serializers.IntegerField())


class StatisticsAnswerSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    statistics = StatisticsSerializer()


class TemplateSerializer(serializers.Serializer):
    description = serializers.CharField()
    required_inputs = serializers.ListField(child=serializers.CharField())
    private_inputs = serializers.ListField(child=serializers.CharField())
    predicate = serializers.CharField()


class TemplatesAnswerSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    templates = serializers.DictField(child=TemplateSerializer())


class PublicKeySerializer(serializers.Serializer):
    algorithm = serializers.CharField()
    key_id = serializers.CharField()
    public_key = serializers.CharField(help_text="Raw 32-byte Ed25519 public key, base64.")
    public_key_pem = serializers.CharField()
    statement_encoding = serializers.CharField()
    commitment_scheme = serializers.CharField()


class DeletedAnswerSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
