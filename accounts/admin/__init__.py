"""Staff console for accounts (registered with the admin site on import)."""

from accounts.admin import api_keys, users, workspaces

__all__ = ["api_keys", "users", "workspaces"]
