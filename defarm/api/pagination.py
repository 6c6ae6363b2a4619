from django.db.models import QuerySet
from rest_framework import pagination


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """``?limit=&offset=`` pages of at most 1000 rows; refuses unordered querysets."""

    default_limit = 50
    max_limit = 1000

    def paginate_queryset(self, queryset, request, view=None):
        if isinstance(queryset, QuerySet) and not queryset.ordered:
            raise ValueError(
                f"{queryset.model.__name__} list is unordered; order it for stable pages."
            )
        return super().paginate_queryset(queryset, request, view)
