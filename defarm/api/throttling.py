"""The client's address behind DeFarm's trusted proxies, and the login/registration throttle."""

import ipaddress
from functools import lru_cache

from django.conf import settings
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _parsed_ip(value: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


@lru_cache(maxsize=8)
def _networks(
    entries: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry)


def _is_trusted_proxy(address: IpAddress | None) -> bool:
    if address is None:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request) -> str | None:
    """The address of the client that sent ``request`` (a Django or DRF request).

    ``X-Forwarded-For`` is read only when the request comes from a trusted proxy
    (``DEFARM_TRUSTED_PROXIES``): each proxy appends the address it received the request
    from, so the client is the entry ``NUM_PROXIES`` places from the right, provided every
    entry right of it is a trusted proxy too. Entries further left were written by the client
    itself and are ignored, so a forged ``X-Forwarded-For`` cannot change the answer, and a
    client reaching DeFarm directly is known by its socket address (``REMOTE_ADDR``).
    """
    meta = request.META
    remote = _parsed_ip(meta.get("REMOTE_ADDR") or "")
    num_proxies = api_settings.NUM_PROXIES or 0
    forwarded = [
        entry for entry in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()
    ]
    if num_proxies > 0 and forwarded and _is_trusted_proxy(remote):
        hops = forwarded[-min(num_proxies, len(forwarded)) :]
        client = _parsed_ip(hops[0])
        if client is not None and all(_is_trusted_proxy(_parsed_ip(hop)) for hop in hops[1:]):
            return str(client)
    return str(remote) if remote is not None else None


class AuthRateThrottle(SimpleRateThrottle):
    """Login and registration attempts per client address (rate setting ``auth``), counted
    in PostgreSQL (``attempt_counters``) so the limit holds across every worker and replica.
    Windows are fixed (aligned to the rate's period)."""

    scope = "auth"

    def get_ident(self, request) -> str:
        return client_ip(request) or "unknown"

    def get_cache_key(self, request, view) -> str:
        return self.get_ident(request)

    def allow_request(self, request, view) -> bool:
        from accounts.services.attempts import attempt_take

        if self.rate is None:
            return True
        decision = attempt_take(
            scope=self.scope,
            ident=self.get_cache_key(request, view),
            limit=self.num_requests,
            window_seconds=self.duration,
        )
        self._retry_after = decision.retry_after
        return decision.allowed

    def wait(self) -> float:
        return max(getattr(self, "_retry_after", self.duration), 1)
