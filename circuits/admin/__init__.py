"""Staff console for circuits and webhooks (registered with the admin site on import)."""

from circuits.admin import circuits, webhooks

__all__ = ["circuits", "webhooks"]
