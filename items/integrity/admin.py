"""Staff console for attestations: read-only (they are written and verified only through
``items.integrity.services``; changing a row would break its signature)."""

from django.contrib import admin

from defarm.admin_site import DefarmModelAdmin, ReadOnlyAdminMixin, json_pretty
from items.integrity.models import Attestation


@admin.register(Attestation)
class AttestationAdmin(ReadOnlyAdminMixin, DefarmModelAdmin):
    list_display = ["attestation_id", "claim_type", "prover", "status", "valid_until", "created_at"]
    list_select_related = ["prover"]
    list_filter = ["claim_type", "status"]
    search_fields = ["=attestation_id", "=prover__user_id", "=key_id"]
    ordering = ["-created_at", "attestation_id"]
    raw_id_fields = ["prover"]
    readonly_fields = ["statement_display"]
    exclude = ["statement"]

    @admin.display(description="signed statement")
    def statement_display(self, obj):
        return json_pretty(obj.statement)
