"""The success envelopes of the earlier engine's answers, named so a view shows which one a
route answers. Error answers have their own single shape (``defarm.api.exceptions``)."""

from typing import Any

from rest_framework import status as http_status
from rest_framework.response import Response


def success_data(data: Any, *, status: int = http_status.HTTP_200_OK, **extra: Any) -> Response:
    """``{"success": true, "data": ..., **extra}``."""
    return Response({"success": True, "data": data, **extra}, status=status)


def success_with(*, status: int = http_status.HTTP_200_OK, **fields: Any) -> Response:
    """``{"success": true, "<key>": ..., ...}``: the engine's envelopes that name their payload."""
    return Response({"success": True, **fields}, status=status)


def message(text: str, *, status: int = http_status.HTTP_200_OK, **extra: Any) -> Response:
    """``{"message": ..., **extra}``."""
    return Response({"message": text, **extra}, status=status)
