"""Staff console for items (registered with the admin site on import)."""

from items.admin import items, records

__all__ = ["items", "records"]
