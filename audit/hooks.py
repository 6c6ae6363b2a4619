"""DeFarm's own audit rows, written from the places where things happen: sign-ins, refused
API keys and tokens, permission denials, reads of personal data. Each hook is one call for
the app it sits in, and never turns the answer into an error (``audit_record_safely``).

What is recorded (event type, action, outcome, severity):
- sign-in: Security ``auth.login`` Success/Low; a wrong name or password Failure/Medium; an
  account that may not sign in Blocked/Medium; too many attempts (the login throttle)
  ``auth.lockout`` Blocked/Medium.
- refused credentials: Security ``api_key.refused`` Blocked/Medium (an invalid, revoked or
  expired key, an address or endpoint the key may not use, a read-only key writing),
  ``auth.token_refused`` Failure/Low (a forged or malformed JWT; expired ones are routine and
  not recorded).
- permission denials: Access ``permission.denied`` Blocked/Medium, with the path and method.
- reads of someone else's personal data: Data ``personal_data.read`` Success/Medium.
"""

from typing import Any

from rest_framework import exceptions

from audit.models import AuditEventType, AuditOutcome, AuditSeverity
from audit.services.trail import audit_record_safely

ANONYMOUS = "anonymous"
API_KEY_REFUSALS = {
    "invalid_api_key",
    "api_key_inactive",
    "api_key_expired",
    "ip_not_allowed",
    "endpoint_not_allowed",
    "account_inactive",
}


def audit_login(*, username: str, user: Any, outcome: str, reason: str | None = None) -> None:
    """A sign-in attempt: ``user`` is the account the name matched (None if none did)."""
    severity = AuditSeverity.LOW if outcome == AuditOutcome.SUCCESS else AuditSeverity.MEDIUM
    details: dict[str, Any] = {"reason": reason} if reason else {}
    if user is None:
        details["username"] = username[:255]
    audit_record_safely(
        user_id=user.pk if user is not None else ANONYMOUS,
        event_type=AuditEventType.SECURITY,
        action="auth.login",
        resource="auth",
        outcome=outcome,
        severity=severity,
        details=details,
    )


def audit_personal_data_read(*, reader: Any, subject_user_id: str, resource: str) -> None:
    """Someone read another person's unmasked personal data (e-mail, addresses)."""
    if reader.pk == subject_user_id:
        return
    audit_record_safely(
        user_id=reader.pk,
        subject_user_id=subject_user_id,
        event_type=AuditEventType.DATA,
        action="personal_data.read",
        resource=resource,
        resource_id=subject_user_id,
        severity=AuditSeverity.MEDIUM,
        compliance={"gdpr": True},
    )


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else "error"


def _auth_throttled(context: dict[str, Any]) -> bool:
    view = context.get("view")
    return "auth" in {getattr(t, "scope", None) for t in getattr(view, "throttle_classes", [])}


def audit_refusal(exc: Exception, context: dict[str, Any]) -> None:
    """Record what a refused API request says about security (called by the API's exception
    handler for every error it answers)."""
    request = context.get("request")
    if request is None or not isinstance(exc, exceptions.APIException):
        return
    api_key = getattr(getattr(request, "_request", request), "defarm_api_key", None)
    user = getattr(request, "_user", None)
    user_id = getattr(user, "pk", None) or (api_key.user_id if api_key else None) or ANONYMOUS
    where: dict[str, Any] = {"path": request.path[:255], "method": request.method}
    if api_key is not None:
        where["api_key_id"] = str(api_key.key_id)
    code = _code(exc)
    if isinstance(exc, exceptions.Throttled):
        if _auth_throttled(context):
            audit_record_safely(
                user_id=ANONYMOUS,
                event_type=AuditEventType.SECURITY,
                action="auth.lockout",
                resource="auth",
                outcome=AuditOutcome.BLOCKED,
                severity=AuditSeverity.MEDIUM,
                details=where,
            )
        return
    key_refusal = code in API_KEY_REFUSALS and (api_key is not None or code == "invalid_api_key")
    if key_refusal:
        audit_record_safely(
            user_id=user_id,
            event_type=AuditEventType.SECURITY,
            action="api_key.refused",
            resource="api_key",
            resource_id=str(api_key.key_id) if api_key else None,
            outcome=AuditOutcome.BLOCKED,
            severity=AuditSeverity.MEDIUM,
            details={"code": code, **where},
        )
    elif isinstance(exc, exceptions.AuthenticationFailed) and code == "invalid_token":
        audit_record_safely(
            user_id=ANONYMOUS,
            event_type=AuditEventType.SECURITY,
            action="auth.token_refused",
            resource="auth",
            outcome=AuditOutcome.FAILURE,
            severity=AuditSeverity.LOW,
            details={"code": code, **where},
        )
    elif isinstance(exc, exceptions.PermissionDenied) and user_id != ANONYMOUS:
        audit_record_safely(
            user_id=user_id,
            event_type=AuditEventType.ACCESS,
            action="permission.denied",
            resource=request.path[:255],
            outcome=AuditOutcome.BLOCKED,
            severity=AuditSeverity.MEDIUM,
            details={"code": code, "message": str(exc.detail)[:500], **where},
        )
