"""Writes of the audit app: the hash-chained trail (``trail``), incidents (``incidents``),
compliance reports (``reports``), erasure (``erasure``), staff actions and log rows
(``records``). Other apps record through ``audit_record`` and ``admin_action_record``,
exported here; the rest is imported from its module (they need the other apps loaded)."""

from audit.services.records import admin_action_record, log_write
from audit.services.trail import audit_record, audit_record_safely

__all__ = ["admin_action_record", "audit_record", "audit_record_safely", "log_write"]
