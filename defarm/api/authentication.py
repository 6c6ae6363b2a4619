"""Authentication classes shared by every API endpoint."""

import jwt
from django.contrib.auth import get_user_model
from rest_framework import authentication, exceptions

from accounts.tokens import jwt_decode

API_KEY_PREFIX = "dfm_"


def bearer_token(request) -> str | None:
    header = authentication.get_authorization_header(request).decode("latin-1")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class JWTAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <JWT>``; bearer values starting with ``dfm_`` are API keys."""

    keyword = "Bearer"

    def authenticate(self, request):
        token = bearer_token(request)
        if token is None or token.startswith(API_KEY_PREFIX):
            return None
        try:
            claims = jwt_decode(token)
        except jwt.ExpiredSignatureError as error:
            raise exceptions.AuthenticationFailed(
                "The token has expired.", "token_expired"
            ) from error
        except jwt.InvalidTokenError as error:
            raise exceptions.AuthenticationFailed(
                "The token is not valid.", "invalid_token"
            ) from error
        user = get_user_model().objects.filter(pk=claims["user_id"]).first()
        if user is None:
            raise exceptions.AuthenticationFailed(
                "The token's user does not exist.", "invalid_token"
            )
        if not user.is_active:
            raise exceptions.AuthenticationFailed(
                f"The account is {user.status}.", "account_inactive"
            )
        return user, claims

    def authenticate_header(self, request) -> str:
        return self.keyword
