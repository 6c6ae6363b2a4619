"""Logging of API-key requests and their rate-limit headers."""

import logging
import time

from django.db import DatabaseError

from accounts.services.api_keys import api_key_usage_record

logger = logging.getLogger("defarm.api_keys")


class ApiKeyUsageMiddleware:
    """After a request made with an API key: add ``RateLimit-Limit``, ``RateLimit-Remaining``
    and ``RateLimit-Reset`` (the tightest window) and write its ``api_key_usage`` row with the
    final status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        api_key = getattr(request, "defarm_api_key", None)
        if api_key is None:
            return response
        decision = getattr(request, "defarm_rate_limit", None)
        if decision is not None and decision.window is not None:
            response["RateLimit-Limit"] = str(decision.window.limit)
            response["RateLimit-Remaining"] = str(decision.window.remaining)
            response["RateLimit-Reset"] = str(decision.window.reset_after)
        from defarm.api.throttling import client_ip

        try:
            api_key_usage_record(
                api_key=api_key,
                endpoint=request.path,
                method=request.method,
                status_code=response.status_code,
                ip_address=client_ip(request),
                response_time_ms=round(elapsed_ms, 3),
            )
        except DatabaseError:
            logger.exception("Could not record the use of API key %s", api_key.pk)
        return response
