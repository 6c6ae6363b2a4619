"""The DFID format ``DFID-YYYYMMDD-NNNNNN-C`` and its checksum (DOMAIN.md, Identity of items)."""

import re
from collections.abc import Iterable
from datetime import UTC, datetime

DFID_PATTERN = re.compile(r"^DFID-(\d{8})-(\d{6,})-([0-9A-F]{1,4})$")


def dfid_checksum(body: str) -> str:
    """``h = h * 31 + byte`` over ``YYYYMMDD`` + ``NNNNNN`` (32-bit, wrapping), mod 65535, hex."""
    value = 0
    for byte in body.encode("ascii"):
        value = (value * 31 + byte) & 0xFFFFFFFF
    return format(value % 65535, "X")


def dfid_format(*, sequence_number: int, issued_on: datetime | None = None) -> str:
    day = (issued_on or datetime.now(UTC)).strftime("%Y%m%d")
    number = f"{sequence_number:06d}"
    return f"DFID-{day}-{number}-{dfid_checksum(day + number)}"


def dfids_format(*, sequence_numbers: Iterable[int], issued_on: datetime) -> list[str]:
    """``dfid_format`` of many numbers issued on one day: the date and the checksum's state
    over it are worked out once."""
    day = issued_on.strftime("%Y%m%d")
    day_state = 0
    for byte in day.encode("ascii"):
        day_state = (day_state * 31 + byte) & 0xFFFFFFFF
    dfids = []
    for sequence_number in sequence_numbers:
        number = f"{sequence_number:06d}"
        value = day_state
        for byte in number.encode("ascii"):
            value = (value * 31 + byte) & 0xFFFFFFFF
        dfids.append(f"DFID-{day}-{number}-{value % 65535:X}")
    return dfids


def dfid_is_valid(text: str) -> bool:
    """True for a well-formed DFID whose date is a real date and whose checksum matches."""
    match = DFID_PATTERN.match(text or "")
    if match is None:
        return False
    day, number, checksum = match.groups()
    try:
        datetime.strptime(day, "%Y%m%d")
    except ValueError:
        return False
    return dfid_checksum(day + number) == checksum
