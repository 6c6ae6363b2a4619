"""The client's address behind DeFarm's proxies, and the login/registration throttle."""

import ipaddress

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


def _normalised_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The address of the client that sent ``request`` (a Django or DRF request).

    Behind ``NUM_PROXIES`` trusted proxies, each proxy appends the address it received the
    request from to ``X-Forwarded-For``; the client is the entry the outermost trusted proxy
    appended, ``NUM_PROXIES`` places from the right. Entries further left were written by the
    client itself and are ignored, so a forged ``X-Forwarded-For`` cannot change the answer.
    Without proxies (``NUM_PROXIES=0``) the socket address ``REMOTE_ADDR`` is the client.
    """
    meta = request.META
    remote_addr = meta.get("REMOTE_ADDR")
    num_proxies = api_settings.NUM_PROXIES or 0
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if num_proxies > 0 and forwarded:
        addresses = [address for address in forwarded.split(",") if address.strip()]
        if addresses:
            address = _normalised_ip(addresses[-min(num_proxies, len(addresses))])
            if address is not None:
                return address
    return _normalised_ip(remote_addr) if remote_addr else None


class AuthRateThrottle(SimpleRateThrottle):
    """Login and registration attempts per client address (rate setting ``auth``)."""

    scope = "auth"

    def get_ident(self, request) -> str:
        return client_ip(request) or "unknown"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
