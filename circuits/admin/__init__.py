"""Staff console for circuits and webhooks (registered with the admin site on import)."""

from circuits.admin import approvals, circuits, webhooks

__all__ = ["approvals", "circuits", "webhooks"]
