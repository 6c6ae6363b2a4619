"""The earlier engine's Merkle shapes (``CONTRACT.md`` §8.17). A proof keeps its fields
(``leaf_hash``, ``leaf_index``, ``siblings`` with ``Left``/``Right`` positions, ``root``) and
adds ``tree_size`` and ``algorithm``; answers that carry a proof add ``leaf``, the JSON document
the leaf hashes (``SHA-256(0x00 || canonical JSON)``)."""

import re

from rest_framework import serializers

from items.integrity.merkle import ALGORITHM

HEX_HASH = re.compile(r"^[0-9a-fA-F]{64}$")
MAX_PATH_LENGTH = 64
MAX_REMOTE_ITEMS = 10_000


class HashField(serializers.RegexField):
    def __init__(self, **kwargs):
        super().__init__(
            HEX_HASH,
            error_messages={"invalid": "A SHA-256 hash as 64 hexadecimal characters."},
            **kwargs,
        )


class SiblingSerializer(serializers.Serializer):
    hash = HashField()
    position = serializers.ChoiceField(choices=["Left", "Right"])


class MerkleProofSerializer(serializers.Serializer):
    leaf_hash = HashField()
    leaf_index = serializers.IntegerField(min_value=0)
    siblings = SiblingSerializer(many=True, max_length=MAX_PATH_LENGTH)
    root = HashField()
    tree_size = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text="Leaves in the tree; when given, the sibling positions must be those of "
        "leaf_index in a tree of this size (RFC 6962).",
    )
    algorithm = serializers.CharField(read_only=True, default=ALGORITHM)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["algorithm"] = ALGORITHM
        return data


class ItemRootSerializer(serializers.Serializer):
    dfid = serializers.CharField()
    merkle_root = serializers.CharField()
    event_count = serializers.IntegerField()
    computed_at = serializers.DateTimeField()
    algorithm = serializers.CharField(default=ALGORITHM)


class ItemEntrySerializer(serializers.Serializer):
    dfid = serializers.CharField()
    merkle_root = HashField()
    event_count = serializers.IntegerField(min_value=0)


class CircuitRootSerializer(serializers.Serializer):
    circuit_id = serializers.CharField()
    merkle_root = serializers.CharField()
    item_count = serializers.IntegerField()
    items = ItemEntrySerializer(many=True)
    computed_at = serializers.DateTimeField()
    algorithm = serializers.CharField(default=ALGORITHM)


class EventProofAnswerSerializer(serializers.Serializer):
    success = serializers.BooleanField(default=True)
    proof = MerkleProofSerializer()
    item_dfid = serializers.CharField()
    event_id = serializers.CharField()
    leaf = serializers.JSONField(help_text="The event document the leaf hashes.")


class ItemProofAnswerSerializer(serializers.Serializer):
    success = serializers.BooleanField(default=True)
    proof = MerkleProofSerializer()
    circuit_id = serializers.CharField()
    item_dfid = serializers.CharField()
    leaf = serializers.JSONField(help_text="The {dfid, merkle_root, event_count} the leaf hashes.")


class VerifyProofSerializer(serializers.Serializer):
    proof = MerkleProofSerializer()
    expected_root = HashField()
    leaf = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="Optional: the document the leaf commits to (as a proof answer's `leaf`); "
        "the leaf hash must then be SHA-256(0x00 || its canonical JSON).",
    )


class VerifyProofAnswerSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    message = serializers.CharField()
    reason = serializers.CharField(required=False)


class SyncCheckSerializer(serializers.Serializer):
    local_root = serializers.CharField(max_length=128)
    remote_root = serializers.CharField(max_length=128)
    remote_items = ItemEntrySerializer(
        many=True, required=False, allow_null=True, max_length=MAX_REMOTE_ITEMS
    )


class SyncCheckAnswerSerializer(serializers.Serializer):
    in_sync = serializers.BooleanField()
    local_root = serializers.CharField(help_text="The circuit's root as DeFarm computes it now.")
    remote_root = serializers.CharField()
    message = serializers.CharField()
    differing_items = serializers.ListField(child=serializers.CharField(), required=False)
    local_only = serializers.ListField(child=serializers.CharField(), required=False)
    remote_only = serializers.ListField(child=serializers.CharField(), required=False)
    modified = serializers.ListField(child=serializers.CharField(), required=False)
