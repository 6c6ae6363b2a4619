"""The one JSON parser of the API: DRF's, with a limit on how deeply a body may nest."""

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 64


def json_depth_exceeds(data: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``data`` nests arrays and objects more than ``limit`` levels deep (walked
    without recursion, so a deep value cannot exhaust the stack here either)."""
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    """A body nested deeper than ``MAX_JSON_DEPTH`` levels is a 400, as is one too deep for
    Python's decoder (which raises ``RecursionError``, not ``ValueError``)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(
                f"JSON parse error - the body nests deeper than {MAX_JSON_DEPTH} levels."
            ) from error
        if json_depth_exceeds(data):
            raise ParseError(
                f"JSON parse error - the body nests deeper than {MAX_JSON_DEPTH} levels."
            )
        return data


class CsvParser(parsers.BaseParser):
    """A ``text/csv`` body, left unread: the view gets the request stream and reads it as it
    needs (a large file is never held in memory)."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream if stream is not None else b""
