"""The claims DeFarm attests, each with the inputs it takes and the predicate it checks.

The templates (names, descriptions, public ``required_inputs`` and ``private_inputs``) are the
earlier engine's. A required input may be sent public (``circuit_input``) or private
(``private_inputs``, committed and never stored); the listed private inputs must be private.
The predicate runs on both, at submission; a claim whose predicate does not hold is refused
and nothing is stored.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import exceptions

from accounts.models import User
from defarm.api.exceptions import ApiError
from items.integrity.models import ClaimType
from items.models import Item

DEFAULT_FRESHNESS_DAYS = 7


@dataclass(frozen=True)
class Template:
    description: str
    required_inputs: tuple[str, ...]
    private_inputs: tuple[str, ...]
    predicate: str


TEMPLATES: dict[str, Template] = {
    ClaimType.ORGANIC_CERTIFICATION: Template(
        "Proves organic certification status without revealing certificate details",
        ("certificate_id", "certification_body", "expiry_date"),
        ("certificate_hash", "verification_code"),
        "expiry_date is later than the time of attestation",
    ),
    ClaimType.PESTICIDE_THRESHOLD: Template(
        "Proves pesticide levels are within acceptable thresholds",
        ("test_results", "threshold_limits", "testing_date"),
        ("raw_test_data", "lab_signature"),
        "every substance of threshold_limits has a result in test_results at or below its "
        "limit; testing_date is not in the future",
    ),
    ClaimType.QUALITY_GRADE: Template(
        "Proves product quality grade without revealing assessment details",
        ("grade_level", "assessment_date", "standards_version"),
        ("assessment_data", "inspector_signature"),
        "assessment_date is not in the future; with minimum_grade, grade_level meets it "
        "(numbers: at least it; letters: A best, at or before it)",
    ),
    ClaimType.OWNERSHIP_PROOF: Template(
        "Proves ownership of agricultural assets",
        ("asset_id", "ownership_date", "jurisdiction"),
        ("title_deed_hash", "registration_number"),
        "ownership_date is not in the future; an asset_id that is a DeFarm item was created "
        "by the submitter",
    ),
    ClaimType.TIMESTAMP_FRESHNESS: Template(
        "Proves harvest/production timestamp for freshness verification",
        ("harvest_date", "location", "product_type"),
        ("timestamp_signature", "gps_coordinates"),
        f"harvest_date is not in the future and at most max_age_days (default "
        f"{DEFAULT_FRESHNESS_DAYS}) before the time of attestation",
    ),
}


@dataclass(frozen=True)
class Evaluation:
    """A predicate that held: what it established, and until when (None: no end)."""

    claim: str
    valid_until: datetime | None


def _invalid(name: str, text: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({name: [text]})


def _moment(inputs: dict[str, Any], name: str) -> datetime:
    """A date (``2026-05-01``, taken as its midnight UTC) or an RFC 3339 date-time."""
    value = inputs.get(name)
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None and (day := parse_date(value)) is not None:
            parsed = datetime.combine(day, time.min)
        if parsed is not None:
            return (
                parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, timezone.UTC)
            )
    raise _invalid(name, "A date (YYYY-MM-DD) or an RFC 3339 date-time.")


def _number(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _invalid(name, "A number.")
    try:
        number = Decimal(str(value))
    except InvalidOperation as error:
        raise _invalid(name, "A number.") from error
    if not number.is_finite():
        raise _invalid(name, "A finite number.")
    return number


def _not_future(moment: datetime, name: str, now: datetime) -> None:
    if moment > now:
        raise _unsatisfied(f"{name} is in the future.")


def _unsatisfied(reason: str) -> ApiError:
    return ApiError(f"The claim does not hold: {reason}", code="claim_not_satisfied")


def _organic(inputs, user, now) -> Evaluation:
    expiry = _moment(inputs, "expiry_date")
    if expiry <= now:
        raise _unsatisfied("the certificate expired.")
    return Evaluation(
        f"Organic certificate {inputs['certificate_id']} of {inputs['certification_body']} "
        f"is valid until {expiry.isoformat()}.",
        expiry,
    )


def _pesticide(inputs, user, now) -> Evaluation:
    results, limits = inputs.get("test_results"), inputs.get("threshold_limits")
    if not isinstance(results, dict):
        raise _invalid("test_results", "An object of substance: measured level.")
    if not isinstance(limits, dict) or not limits:
        raise _invalid("threshold_limits", "A non-empty object of substance: limit.")
    _not_future(_moment(inputs, "testing_date"), "testing_date", now)
    for substance, limit in sorted(limits.items()):
        if substance not in results:
            raise _unsatisfied(f"no result for {substance}.")
        level = _number(results[substance], f"test_results.{substance}")
        if level > _number(limit, f"threshold_limits.{substance}"):
            raise _unsatisfied(f"{substance} is above its limit.")
    return Evaluation(
        f"All {len(limits)} limited substances are at or below their limits in the test of "
        f"{inputs['testing_date']}.",
        None,
    )


def _grade_meets(grade: Any, minimum: Any) -> bool:
    if isinstance(grade, (int, float)) and isinstance(minimum, (int, float)):
        return _number(grade, "grade_level") >= _number(minimum, "minimum_grade")
    return str(grade).strip().upper() <= str(minimum).strip().upper()


def _quality(inputs, user, now) -> Evaluation:
    _not_future(_moment(inputs, "assessment_date"), "assessment_date", now)
    grade = inputs["grade_level"]
    minimum = inputs.get("minimum_grade")
    if minimum is not None and not _grade_meets(grade, minimum):
        raise _unsatisfied("grade_level does not meet minimum_grade.")
    meets = f", meeting {minimum}" if minimum is not None else ""
    return Evaluation(
        f"Graded {grade}{meets} under {inputs['standards_version']} on "
        f"{inputs['assessment_date']}.",
        None,
    )


def _ownership(inputs, user: User, now) -> Evaluation:
    _not_future(_moment(inputs, "ownership_date"), "ownership_date", now)
    asset_id = str(inputs["asset_id"])
    item = Item.objects.filter(pk=asset_id).only("dfid", "created_by").first()
    if item is not None and item.created_by_id != user.pk:
        raise _unsatisfied(f"item {asset_id} was not created by the submitter.")
    return Evaluation(
        f"Asset {asset_id} held since {inputs['ownership_date']} under {inputs['jurisdiction']}.",
        None,
    )


def _freshness(inputs, user, now) -> Evaluation:
    harvest = _moment(inputs, "harvest_date")
    _not_future(harvest, "harvest_date", now)
    days = inputs.get("max_age_days", DEFAULT_FRESHNESS_DAYS)
    max_age = _number(days, "max_age_days")
    if max_age <= 0 or max_age > 3650:
        raise _invalid("max_age_days", "A number of days between 0 and 3650.")
    valid_until = harvest + timedelta(days=float(max_age))
    if valid_until < now:
        raise _unsatisfied(f"harvested more than {days} days ago.")
    return Evaluation(
        f"{inputs['product_type']} harvested at {inputs['location']} on "
        f"{inputs['harvest_date']}, within {days} days.",
        valid_until,
    )


PREDICATES: dict[str, Callable[[dict[str, Any], User, datetime], Evaluation]] = {
    ClaimType.ORGANIC_CERTIFICATION: _organic,
    ClaimType.PESTICIDE_THRESHOLD: _pesticide,
    ClaimType.QUALITY_GRADE: _quality,
    ClaimType.OWNERSHIP_PROOF: _ownership,
    ClaimType.TIMESTAMP_FRESHNESS: _freshness,
}


def claim_evaluate(
    *,
    claim_type: str,
    public_inputs: dict[str, Any],
    private_inputs: dict[str, Any],
    user: User,
    now: datetime,
) -> Evaluation:
    """Check the inputs the template asks for, then its predicate; 400 for missing or
    malformed inputs, 400 ``claim_not_satisfied`` when the predicate does not hold."""
    template = TEMPLATES[claim_type]
    overlap = sorted(set(public_inputs) & set(private_inputs))
    if overlap:
        raise _invalid("private_inputs", f"Sent both public and private: {', '.join(overlap)}.")
    inputs = {**public_inputs, **private_inputs}
    missing = [name for name in template.required_inputs if inputs.get(name) in (None, "")]
    if missing:
        raise _invalid("circuit_input", f"Missing required inputs: {', '.join(missing)}.")
    missing_private = [
        name for name in template.private_inputs if private_inputs.get(name) in (None, "")
    ]
    if missing_private:
        raise _invalid("private_inputs", f"Missing private inputs: {', '.join(missing_private)}.")
    return PREDICATES[claim_type](inputs, user, now)
