"""Circuit webhooks: configuration, URL safety, and deliveries sent by the background worker.

The delivery machinery (a ``WebhookDelivery`` row per payload, URL checks, signed POSTs,
retries) also carries EPCIS query subscriptions' results (``items.epcis.subscriptions``): a
delivery belongs to a circuit's webhook or to a subscription, which builds its own request.

A circuit signal (item pushed, approved, tokenized, published) creates one ``Pending``
delivery per enabled webhook subscribed to it and, once the transaction commits, enqueues
``circuits.tasks.webhook_delivery_send``. Each attempt POSTs the JSON payload, updates the
delivery (status, HTTP status, truncated response, error, attempt count) and writes a log
row; a failed attempt is retried with exponential back-off until ``max_attempts``, then the
delivery is ``Failed``.

Target URLs must be http(s) and resolve only to public addresses. The check runs when the
webhook is saved and again at every attempt, and the request goes to the address that was
checked (no second DNS lookup, no redirects followed).
"""

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import re
import socket
import ssl
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models, transaction
from django.dispatch import receiver
from rest_framework.exceptions import ValidationError

from accounts.models import User
from adapters.models import StorageHistory
from audit.services import log_write
from circuits import signals
from circuits.models import Circuit, DeliveryRecord, WebhookConfig, WebhookDelivery
from defarm.api.exceptions import Conflict
from defarm.timeutils import unix_now
from items.item_view import item_view_for_circuit, item_view_snapshot

logger = logging.getLogger("defarm.webhooks")


class WebhookTrigger(models.TextChoices):
    ITEM_PUSHED = "item_pushed"
    ITEM_APPROVED = "item_approved"
    ITEM_TOKENIZED = "item_tokenized"
    ITEM_PUBLISHED = "item_published"


TEST_EVENT = "webhook_test"


class WebhookAuthType(models.TextChoices):
    NONE = "none"
    BEARER = "bearer"
    API_KEY = "api_key"
    BASIC = "basic"


class DeliveryStatus(models.TextChoices):
    PENDING = "Pending"
    DELIVERED = "Delivered"
    FAILED = "Failed"
    RETRYING = "Retrying"


# Credentials each auth type needs in auth_config; ``signing_secret`` is optional for all.
AUTH_REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    WebhookAuthType.NONE: (),
    WebhookAuthType.BEARER: ("token",),
    WebhookAuthType.API_KEY: ("api_key",),
    WebhookAuthType.BASIC: ("username", "password"),
}
AUTH_OPTIONAL_FIELDS = ("signing_secret", "header_name")

# Header names an api_key webhook may not use for its key: hop-by-hop headers (RFC 9110
# 7.6.1), those that frame or route the request (a receiver or proxy would read a smuggled
# request), and those DeFarm sets itself. ``Proxy-*``, ``Sec-*`` and ``X-DeFarm-*`` names
# are refused as families.
RESERVED_HEADER_NAMES = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "content-type",
        "content-encoding",
        "expect",
        "forwarded",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-real-ip",
        "via",
        "cookie",
        "user-agent",
        "authorization",
        "date",
        "max-forwards",
    }
)
RESERVED_HEADER_PREFIXES = ("proxy-", "sec-", "x-defarm-")
HEADER_NAME_PATTERN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an RFC 9110 token

DEFAULT_RETRY_CONFIG = {"max_attempts": 5, "base_delay_seconds": 30, "max_delay_seconds": 3600}
MAX_ATTEMPTS_LIMIT = 10
MAX_BASE_DELAY_SECONDS = 86_400  # one day
MAX_DELAY_SECONDS = 7 * 86_400  # a week
# Credentials sent as header values (http.client writes headers as Latin-1).
HEADER_CREDENTIALS = ("token", "api_key", "header_name")
RESPONSE_BODY_LIMIT = 2000
USER_AGENT = "DeFarm-Webhooks/1.0"


# --- URL safety ---------------------------------------------------------------------------------


class WebhookTargetRefused(Exception):
    """The URL is not http(s) or resolves to an address DeFarm must not call."""


def _address_refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        if settings.WEBHOOKS_ALLOW_LOOPBACK:
            return None
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_private:
        return "private"
    if address.is_multicast:
        return "multicast"
    if address.is_unspecified:
        return "unspecified"
    if address.is_reserved or not address.is_global:
        return "reserved"
    return None


def webhook_target_resolve(url: str) -> tuple[str, int, str, str, str]:
    """``(scheme, port, host, path_and_query, address)`` for a URL DeFarm may call.

    Every address the host resolves to must be public (loopback only with
    ``DEFARM_WEBHOOKS_ALLOW_LOOPBACK``); WebhookTargetRefused says why not.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise WebhookTargetRefused(f"The URL is not valid: {error}.") from error
    if parts.scheme not in {"http", "https"}:
        raise WebhookTargetRefused("The URL must start with http:// or https://.")
    host = parts.hostname
    if not host:
        raise WebhookTargetRefused("The URL has no host.")
    if parts.username or parts.password:
        raise WebhookTargetRefused("Put credentials in auth_config, not in the URL.")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        resolved = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise WebhookTargetRefused(f"The host {host} does not resolve.") from error
    addresses = []
    for _family, _type, _proto, _canonical, sockaddr in resolved:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        refusal = _address_refusal(address)
        if refusal:
            raise WebhookTargetRefused(
                f"The host {host} resolves to {address}, a {refusal} address; webhooks may "
                "only call public addresses."
            )
        addresses.append(str(address))
    if not addresses:
        raise WebhookTargetRefused(f"The host {host} does not resolve.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, port, host, path, addresses[0]


def webhook_url_validate(*, url: str) -> str:
    """``url`` when webhooks may call it; 400 on the ``url`` field otherwise."""
    try:
        webhook_target_resolve(url)
    except WebhookTargetRefused as refusal:
        raise ValidationError({"url": [str(refusal)]}) from refusal
    return url


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to an already checked address, whatever the host now resolves to."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


# --- Configuration ------------------------------------------------------------------------------


def _validate_trigger_events(trigger_events: list[str]) -> list[str]:
    unknown = [event for event in trigger_events if event not in WebhookTrigger.values]
    if not trigger_events or unknown:
        raise ValidationError(
            {
                "trigger_events": [
                    f"Choose one or more of {', '.join(WebhookTrigger.values)}"
                    + (f"; unknown: {', '.join(unknown)}." if unknown else ".")
                ]
            }
        )
    return list(dict.fromkeys(trigger_events))


def _validate_auth(auth_type: str, auth_config: dict[str, Any] | None) -> dict[str, Any] | None:
    if auth_type not in AUTH_REQUIRED_FIELDS:
        raise ValidationError({"auth_type": [f"Choose one of {', '.join(AUTH_REQUIRED_FIELDS)}."]})
    config = dict(auth_config or {})
    allowed = set(AUTH_REQUIRED_FIELDS[auth_type]) | set(AUTH_OPTIONAL_FIELDS)
    unexpected = sorted(set(config) - allowed)
    missing = [field for field in AUTH_REQUIRED_FIELDS[auth_type] if not config.get(field)]
    if unexpected or missing:
        problems = []
        if missing:
            problems.append(f"{auth_type} needs {', '.join(missing)}")
        if unexpected:
            problems.append(f"{auth_type} does not use {', '.join(unexpected)}")
        raise ValidationError({"auth_config": ["; ".join(problems) + "."]})
    if any(not isinstance(value, str) for value in config.values()):
        raise ValidationError({"auth_config": ["Every credential must be a string."]})
    for name, value in config.items():
        _validate_credential(name, value)
    if config.get("header_name"):
        _validate_header_name(config["header_name"])
    return config or None


def _validate_credential(name: str, value: str) -> None:
    """No control characters (a CR or LF would end the header and start another), and the
    values sent as header values must be Latin-1, the only encoding a header carries."""
    if any(ord(character) < 32 or ord(character) == 127 for character in value):
        raise ValidationError(
            {"auth_config": [f"{name} contains a control character (CR, LF, tab, NUL ...)."]}
        )
    if name in HEADER_CREDENTIALS:
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise ValidationError(
                {"auth_config": [f"{name} is sent in a header: Latin-1 characters only."]}
            ) from None


def _validate_header_name(name: str) -> None:
    """An api_key webhook's ``header_name`` is a plain header DeFarm does not set itself."""
    if not HEADER_NAME_PATTERN.match(name):
        raise ValidationError(
            {"auth_config": ["header_name must be a header name (letters, digits, '-')."]}
        )
    lowered = name.lower()
    if lowered in RESERVED_HEADER_NAMES or lowered.startswith(RESERVED_HEADER_PREFIXES):
        raise ValidationError(
            {
                "auth_config": [
                    f"header_name {name!r} is a reserved header; choose a name such as X-API-Key."
                ]
            }
        )


def _validate_retry_config(retry_config: dict[str, Any] | None) -> dict[str, Any]:
    merged = {**DEFAULT_RETRY_CONFIG, **(retry_config or {})}
    unexpected = sorted(set(merged) - set(DEFAULT_RETRY_CONFIG))
    if unexpected:
        raise ValidationError({"retry_config": [f"Unknown settings: {', '.join(unexpected)}."]})
    try:
        values = {key: int(value) for key, value in merged.items()}
    except (TypeError, ValueError) as error:
        raise ValidationError({"retry_config": ["Every setting must be an integer."]}) from error
    if not 1 <= values["max_attempts"] <= MAX_ATTEMPTS_LIMIT:
        raise ValidationError(
            {"retry_config": [f"max_attempts must be between 1 and {MAX_ATTEMPTS_LIMIT}."]}
        )
    if values["base_delay_seconds"] < 1 or values["max_delay_seconds"] < 1:
        raise ValidationError({"retry_config": ["Delays must be at least 1 second."]})
    if values["base_delay_seconds"] > MAX_BASE_DELAY_SECONDS:
        raise ValidationError(
            {"retry_config": [f"base_delay_seconds is at most {MAX_BASE_DELAY_SECONDS} (a day)."]}
        )
    if values["max_delay_seconds"] > MAX_DELAY_SECONDS:
        raise ValidationError(
            {"retry_config": [f"max_delay_seconds is at most {MAX_DELAY_SECONDS} (a week)."]}
        )
    return values


def webhook_retry_settings(webhook: WebhookConfig) -> dict[str, int]:
    try:
        return _validate_retry_config(webhook.retry_config)
    except ValidationError:
        return dict(DEFAULT_RETRY_CONFIG)


@transaction.atomic
def webhook_create(
    *,
    circuit: Circuit,
    user: User,
    name: str,
    url: str,
    trigger_events: list[str],
    enabled: bool = True,
    auth_type: str = WebhookAuthType.NONE,
    auth_config: dict[str, Any] | None = None,
    retry_config: dict[str, Any] | None = None,
) -> WebhookConfig:
    webhook = WebhookConfig.objects.create(
        circuit=circuit,
        name=name,
        url=webhook_url_validate(url=url),
        trigger_events=_validate_trigger_events(trigger_events),
        enabled=enabled,
        auth_type=auth_type,
        auth_config=_validate_auth(auth_type, auth_config),
        retry_config=_validate_retry_config(retry_config),
    )
    log_write(
        level="INFO",
        engine="webhooks",
        event_type="webhook_created",
        message=f"Webhook {webhook.name} added to circuit {circuit.circuit_id}",
        context={"webhook_id": str(webhook.webhook_id), "user_id": user.user_id},
    )
    return webhook


@transaction.atomic
def webhook_update(*, webhook: WebhookConfig, user: User, changes: dict[str, Any]) -> WebhookConfig:
    """Apply ``changes``; credentials are replaced only when ``auth_config`` is given."""
    webhook = WebhookConfig.objects.select_for_update().get(pk=webhook.pk)
    if "url" in changes:
        webhook.url = webhook_url_validate(url=changes["url"])
    if "trigger_events" in changes:
        webhook.trigger_events = _validate_trigger_events(changes["trigger_events"])
    if "name" in changes:
        webhook.name = changes["name"]
    if "enabled" in changes:
        webhook.enabled = changes["enabled"]
    if "auth_type" in changes or "auth_config" in changes:
        auth_type = changes.get("auth_type", webhook.auth_type or WebhookAuthType.NONE)
        auth_config = changes.get("auth_config", webhook.auth_config)
        if "auth_config" not in changes and auth_type != webhook.auth_type:
            auth_config = {
                key: value
                for key, value in (webhook.auth_config or {}).items()
                if key == "signing_secret"
            }
        webhook.auth_config = _validate_auth(auth_type, auth_config)
        webhook.auth_type = auth_type
    if "retry_config" in changes:
        webhook.retry_config = _validate_retry_config(changes["retry_config"])
    webhook.updated_at_ts = unix_now()
    webhook.save()
    log_write(
        level="INFO",
        engine="webhooks",
        event_type="webhook_updated",
        message=f"Webhook {webhook.name} changed",
        context={
            "webhook_id": str(webhook.webhook_id),
            "user_id": user.user_id,
            "fields": sorted(changes),
        },
    )
    return webhook


@transaction.atomic
def webhook_delete(*, webhook: WebhookConfig, user: User) -> None:
    log_write(
        level="INFO",
        engine="webhooks",
        event_type="webhook_deleted",
        message=f"Webhook {webhook.name} removed",
        context={"webhook_id": str(webhook.webhook_id), "user_id": user.user_id},
    )
    webhook.delete()


# --- Deliveries ---------------------------------------------------------------------------------


def webhook_payload(
    *,
    event: str,
    circuit: Circuit,
    delivery_id: uuid.UUID,
    item=None,
    user: User | None = None,
    operation=None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"circuit_name": circuit.name}
    post_actions = circuit.post_action_settings
    post_actions = post_actions if isinstance(post_actions, dict) else {}
    if item is not None:
        data["item"] = {
            "dfid": item.dfid,
            "status": item.status,
            "item_hash": item.item_hash,
            "last_updated_ts": item.last_updated_ts,
        }
        if post_actions.get("include_item_metadata"):
            # What the circuit holds of the item: the layers shared with it, person ids masked.
            view = item_view_for_circuit(item=item, circuit_id=circuit.pk)
            data["item"].update(item_view_snapshot(view))
        if post_actions.get("include_storage_details"):
            data["storage"] = [
                {
                    "adapter_type": record.adapter_type,
                    "storage_location": record.storage_location,
                    "stored_at_ts": record.stored_at_ts,
                }
                for record in StorageHistory.objects.filter(item=item, is_active=True).order_by(
                    "-stored_at_ts", "id"
                )
            ]
    if user is not None:
        data["user_id"] = user.user_id
    if operation is not None:
        data["operation_id"] = str(operation.pk)
    return {
        "event": event,
        "delivery_id": str(delivery_id),
        "circuit_id": str(circuit.circuit_id),
        "dfid": item.dfid if item is not None else None,
        "timestamp": unix_now(),
        "data": data,
    }


def webhook_deliveries_enqueue(
    delivery_ids: list[str],
    run_after: datetime | None = None,
    *,
    model: type[DeliveryRecord] = WebhookDelivery,
) -> None:
    """Have the worker send these deliveries (rows of ``model``: a circuit webhook's, or an
    EPCIS subscription's) after ``run_after`` where tasks can wait."""
    from circuits.tasks import webhook_delivery_send

    task = webhook_delivery_send
    if run_after is not None:
        if not task.get_backend().supports_defer:
            return  # no deferred tasks here: the retry waits for webhook_delivery_retry
        task = task.using(run_after=run_after)
    for delivery_id in delivery_ids:
        if model is WebhookDelivery:
            task.enqueue(delivery_id)
        else:
            task.enqueue(delivery_id, model._meta.label_lower)


@transaction.atomic
def webhook_deliveries_create(
    *, circuit: Circuit, event: str, item=None, user: User | None = None, operation=None
) -> list[WebhookDelivery]:
    """One Pending delivery per enabled webhook of ``circuit`` subscribed to ``event``; the
    worker sends them once the transaction commits. The circuit's post-action settings, when
    set, can switch every webhook off or keep only some events."""
    return webhook_deliveries_create_many(
        circuit=circuit, event=event, entries=[(item, operation)], user=user
    )


@transaction.atomic
def webhook_deliveries_create_many(
    *,
    circuit: Circuit,
    event: str,
    entries: list[tuple[Any, Any]],
    user: User | None = None,
) -> list[WebhookDelivery]:
    """``webhook_deliveries_create`` for several ``(item, operation)`` pairs of one event (a
    batch push): the circuit's webhooks are read once and the deliveries written in one
    insert, webhook by webhook in the order of ``entries``."""
    post_actions = circuit.post_action_settings
    if isinstance(post_actions, dict):
        if not post_actions.get("enabled", True):
            return []
        if post_actions.get("trigger_events") and event not in post_actions["trigger_events"]:
            return []
    webhooks = [
        webhook
        for webhook in WebhookConfig.objects.filter(circuit=circuit, enabled=True).order_by(
            "created_at_ts", "webhook_id"
        )
        if event in (webhook.trigger_events or [])
    ]
    deliveries = []
    for item, operation in entries:
        for webhook in webhooks:
            delivery_id = uuid.uuid4()
            deliveries.append(
                WebhookDelivery(
                    delivery_id=delivery_id,
                    webhook=webhook,
                    trigger_event=event,
                    payload=webhook_payload(
                        event=event,
                        circuit=circuit,
                        delivery_id=delivery_id,
                        item=item,
                        user=user,
                        operation=operation,
                    ),
                    status=DeliveryStatus.PENDING,
                    attempt_count=0,
                )
            )
    if deliveries:
        WebhookDelivery.objects.bulk_create(deliveries)
        ids = [str(delivery.delivery_id) for delivery in deliveries]
        transaction.on_commit(lambda: webhook_deliveries_enqueue(ids))
    return deliveries


def _request_headers(webhook: WebhookConfig, delivery: WebhookDelivery, body: bytes) -> dict:
    timestamp = str(unix_now())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-DeFarm-Event": delivery.trigger_event,
        "X-DeFarm-Delivery": str(delivery.delivery_id),
        "X-DeFarm-Timestamp": timestamp,
    }
    credentials = webhook.auth_config or {}
    if webhook.auth_type == WebhookAuthType.BEARER:
        headers["Authorization"] = f"Bearer {credentials.get('token', '')}"
    elif webhook.auth_type == WebhookAuthType.API_KEY:
        headers[credentials.get("header_name") or "X-API-Key"] = credentials.get("api_key", "")
    elif webhook.auth_type == WebhookAuthType.BASIC:
        pair = f"{credentials.get('username', '')}:{credentials.get('password', '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    if credentials.get("signing_secret"):
        signed = timestamp.encode() + b"." + body
        digest = hmac.new(credentials["signing_secret"].encode(), signed, hashlib.sha256)
        headers["X-DeFarm-Signature"] = f"sha256={digest.hexdigest()}"
    return headers


class WebhookDeliveryImpossible(Exception):
    """The webhook's settings make every attempt fail the same way (credentials a header
    cannot carry, a reserved header name): the delivery fails at once, without retries."""


def _check_settings_sendable(webhook: WebhookConfig) -> None:
    """Settings saved before today's checks existed are checked again before sending."""
    try:
        _validate_auth(webhook.auth_type or WebhookAuthType.NONE, webhook.auth_config)
    except ValidationError as refusal:
        problems = refusal.detail.get("auth_config") or refusal.detail.get("auth_type")
        raise WebhookDeliveryImpossible(f"Refused: {problems[0]}") from refusal


@dataclass(frozen=True)
class DeliveryRequest:
    """What one attempt POSTs: the target URL, the body and its headers."""

    url: str
    body: bytes
    headers: dict[str, str]


def delivery_body(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()


def _webhook_request(webhook: WebhookConfig, delivery: WebhookDelivery) -> DeliveryRequest:
    _check_settings_sendable(webhook)
    body = delivery_body(delivery)
    return DeliveryRequest(webhook.url, body, _request_headers(webhook, delivery, body))


def _post(request: DeliveryRequest) -> tuple[int | None, str, str | None]:
    """``(http_status, response_body, error)`` of one POST of ``request`` to an address
    checked now (no redirects followed); raises ``WebhookDeliveryImpossible`` when the request
    cannot be written."""
    try:
        scheme, port, host, path, address = webhook_target_resolve(request.url)
    except WebhookTargetRefused as refusal:
        return None, "", f"Refused: {refusal}"
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    conn = connection_class(host, port, address=address, timeout=settings.WEBHOOKS_TIMEOUT)
    try:
        conn.request("POST", path, body=request.body, headers=request.headers)
        response = conn.getresponse()
        text = response.read(RESPONSE_BODY_LIMIT).decode("utf-8", "replace")
        return response.status, text, None
    except (OSError, http.client.HTTPException) as error:
        return None, "", f"{type(error).__name__}: {error}"
    except (ValueError, UnicodeError) as error:  # a header http.client refuses to write
        raise WebhookDeliveryImpossible(
            f"The request could not be built: {type(error).__name__}: {error}"
        ) from error
    finally:
        conn.close()


def _delivery_request(delivery: DeliveryRecord) -> DeliveryRequest:
    """The request of a circuit webhook's delivery, or of an EPCIS subscription's."""
    if isinstance(delivery, WebhookDelivery):
        return _webhook_request(delivery.webhook, delivery)
    from items.epcis.subscriptions import subscription_delivery_request

    return subscription_delivery_request(delivery=delivery)


def webhook_retry_delay(*, retry: dict[str, int], attempt: int) -> int:
    """Seconds before attempt ``attempt + 1``: base, 2 x base, 4 x base ... up to the cap."""
    return min(retry["base_delay_seconds"] * 2 ** (attempt - 1), retry["max_delay_seconds"])


def webhook_delivery_attempt[D: DeliveryRecord](*, delivery: D, schedule_retry: bool = True) -> D:
    """Send the delivery (a circuit webhook's or an EPCIS subscription's) once and record the
    outcome; schedule the next attempt on failure."""
    model = type(delivery)
    is_webhook = model is WebhookDelivery
    with transaction.atomic():
        delivery = (
            model.objects.select_for_update(of=("self",))
            .select_related("webhook" if is_webhook else "subscription")
            .get(pk=delivery.pk)
        )
        if delivery.status in {DeliveryStatus.DELIVERED, DeliveryStatus.FAILED}:
            return delivery  # already settled (a duplicate or late task run)
        if is_webhook:
            webhook = delivery.webhook
            retry = webhook_retry_settings(webhook)
            enabled = webhook.enabled
            target_context = {"webhook_id": str(webhook.webhook_id)}
        else:
            retry = dict(DEFAULT_RETRY_CONFIG)
            enabled = True
            target_context = {"subscription_id": str(delivery.subscription_id)}
        delivery.attempt_count = (delivery.attempt_count or 0) + 1
        possible = True
        if enabled:
            try:
                status_code, text, error = _post(_delivery_request(delivery))
            except WebhookDeliveryImpossible as impossible:
                status_code, text, error = None, "", str(impossible)
                possible = False
        else:
            status_code, text, error = None, "", "The webhook is disabled."
        now = unix_now()
        delivery.http_status_code = status_code
        delivery.response_body = text[:RESPONSE_BODY_LIMIT] or None
        delivered = error is None and status_code is not None and 200 <= status_code < 300
        if delivered:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.error_message = None
            delivery.delivered_at_ts = now
            delivery.next_retry_at_ts = None
        else:
            delivery.error_message = error or f"The receiver answered HTTP {status_code}."
            more = (
                schedule_retry
                and possible
                and enabled
                and delivery.attempt_count < retry["max_attempts"]
            )
            if more:
                delay = webhook_retry_delay(retry=retry, attempt=delivery.attempt_count)
                delivery.status = DeliveryStatus.RETRYING
                delivery.next_retry_at_ts = now + delay
                run_after = datetime.fromtimestamp(now + delay, tz=UTC)
                delivery_id = str(delivery.delivery_id)
                transaction.on_commit(
                    lambda: webhook_deliveries_enqueue([delivery_id], run_after, model=model)
                )
            else:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_retry_at_ts = None
        delivery.save()
        if delivered and not is_webhook:
            from items.epcis.subscriptions import subscription_notified

            subscription_notified(subscription_id=delivery.subscription_id)
        log_write(
            level="INFO" if delivered else "WARNING",
            engine="webhooks",
            event_type="webhook_delivery_attempt",
            message=(
                f"Delivery {delivery.delivery_id} attempt {delivery.attempt_count}: "
                f"{delivery.status}"
            ),
            context={
                "delivery_id": str(delivery.delivery_id),
                **target_context,
                "attempt": delivery.attempt_count,
                "status": delivery.status,
                "http_status_code": status_code,
                "error": None if delivered else delivery.error_message,
            },
        )
    return delivery


@transaction.atomic
def webhook_delivery_retry[D: DeliveryRecord](*, delivery: D) -> D:
    """Send a delivery that has not succeeded once more, now (staff's retry).

    The attempt runs in the worker after the transaction commits; a failure then is final
    unless attempts remain under the webhook's ``max_attempts``.
    """
    model = type(delivery)
    delivery = model.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status == DeliveryStatus.DELIVERED:
        raise Conflict("This delivery was already delivered.")
    delivery.status = DeliveryStatus.PENDING
    delivery.next_retry_at_ts = None
    delivery.save(update_fields=["status", "next_retry_at_ts"])
    delivery_id = str(delivery.delivery_id)
    transaction.on_commit(lambda: webhook_deliveries_enqueue([delivery_id], model=model))
    return delivery


def webhook_test_send(*, webhook: WebhookConfig, user: User) -> WebhookDelivery:
    """Send one real ``webhook_test`` delivery now (a single attempt) and return it."""
    with transaction.atomic():
        delivery_id = uuid.uuid4()
        delivery = WebhookDelivery.objects.create(
            delivery_id=delivery_id,
            webhook=webhook,
            trigger_event=TEST_EVENT,
            payload=webhook_payload(
                event=TEST_EVENT, circuit=webhook.circuit, delivery_id=delivery_id, user=user
            ),
            status=DeliveryStatus.PENDING,
            attempt_count=0,
        )
    return webhook_delivery_attempt(delivery=delivery, schedule_retry=False)


# --- Circuit signals ----------------------------------------------------------------------------


def _deliveries_for_signal(event: str):
    def enqueue_deliveries(sender, *, circuit, item=None, user=None, operation=None, **kwargs):
        webhook_deliveries_create(
            circuit=circuit, event=event, item=item, user=user, operation=operation
        )

    enqueue_deliveries.__name__ = f"enqueue_{event}_deliveries"
    return enqueue_deliveries


enqueue_item_pushed_deliveries = _deliveries_for_signal(WebhookTrigger.ITEM_PUSHED)
enqueue_item_approved_deliveries = _deliveries_for_signal(WebhookTrigger.ITEM_APPROVED)
enqueue_item_tokenized_deliveries = _deliveries_for_signal(WebhookTrigger.ITEM_TOKENIZED)
enqueue_item_published_deliveries = _deliveries_for_signal(WebhookTrigger.ITEM_PUBLISHED)


def _deliveries_for_batch_signal(event: str):
    def enqueue_deliveries(sender, *, circuit, items, operations, user=None, **kwargs):
        webhook_deliveries_create_many(
            circuit=circuit,
            event=event,
            entries=list(zip(items, operations, strict=True)),
            user=user,
        )

    enqueue_deliveries.__name__ = f"enqueue_batch_{event}_deliveries"
    return enqueue_deliveries


enqueue_items_pushed_deliveries = _deliveries_for_batch_signal(WebhookTrigger.ITEM_PUSHED)
enqueue_items_published_deliveries = _deliveries_for_batch_signal(WebhookTrigger.ITEM_PUBLISHED)

for _signal, _receiver in (
    (signals.items_pushed, enqueue_items_pushed_deliveries),
    (signals.items_published, enqueue_items_published_deliveries),
    (signals.item_pushed, enqueue_item_pushed_deliveries),
    (signals.item_approved, enqueue_item_approved_deliveries),
    (signals.item_tokenized, enqueue_item_tokenized_deliveries),
    (signals.item_published, enqueue_item_published_deliveries),
):
    receiver(_signal, dispatch_uid=f"webhooks.{_receiver.__name__}")(_receiver)
