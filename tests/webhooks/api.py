"""Calls of the circuit webhook routes (``/api/circuits/{id}/post-actions/...``) shared by the
webhook and security tests."""

from typing import Any

ENGINE_AUTH_TYPES = {
    "none": "None",
    "bearer": "BearerToken",
    "api_key": "ApiKey",
    "basic": "BasicAuth",
}


def webhooks_url(circuit) -> str:
    return f"/api/circuits/{circuit.circuit_id}/post-actions/webhooks"


def deliveries_url(circuit) -> str:
    return f"/api/circuits/{circuit.circuit_id}/post-actions/deliveries"


def engine_auth(auth_type: str, auth_config: dict[str, str] | None) -> dict[str, Any]:
    """The engine's request fields for DeFarm credentials (``auth_type`` + ``auth_config``)."""
    config = dict(auth_config or {})
    body: dict[str, Any] = {}
    if "signing_secret" in config:
        body["signing_secret"] = config.pop("signing_secret")
    if auth_type == "api_key" and "header_name" in config:
        body.update(auth_type="CustomHeader", headers={config["header_name"]: config["api_key"]})
        return body
    body["auth_type"] = ENGINE_AUTH_TYPES.get(auth_type, auth_type)
    if auth_type == "bearer" and "token" in config:
        body["auth_credentials"] = config["token"]
    elif auth_type == "api_key" and "api_key" in config:
        body["auth_credentials"] = config["api_key"]
    elif auth_type == "basic" and config:
        body["auth_credentials"] = f"{config.get('username', '')}:{config.get('password', '')}"
    return body


def webhook_create(client, circuit, *, auth_type=None, auth_config=None, **fields):
    body = {
        "name": "ERP",
        "url": "http://127.0.0.1:9/hook",
        "trigger_events": ["item_pushed", "item_approved"],
        **fields,
    }
    if auth_type is not None:
        body.update(engine_auth(auth_type, auth_config))
    return client.post(webhooks_url(circuit), body, format="json")
