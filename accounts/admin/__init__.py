"""Staff console for accounts (registered with the admin site on import)."""

from accounts.admin import activity, api_keys, users, workspaces

__all__ = ["activity", "api_keys", "users", "workspaces"]
