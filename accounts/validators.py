"""The DeFarm password rule: upper, lower, digit and symbol (length is Django's validator)."""

import re

from django.core.exceptions import ValidationError

_CLASSES = {
    "an upper-case letter": re.compile(r"[A-Z]"),
    "a lower-case letter": re.compile(r"[a-z]"),
    "a digit": re.compile(r"[0-9]"),
    "a symbol": re.compile(r"[^A-Za-z0-9]"),
}


class CharacterClassValidator:
    def validate(self, password: str, user=None) -> None:
        missing = [name for name, pattern in _CLASSES.items() if not pattern.search(password)]
        if missing:
            raise ValidationError(
                "The password must contain " + ", ".join(missing) + ".",
                code="password_too_weak",
            )

    def get_help_text(self) -> str:
        return (
            "Your password must contain an upper-case letter, a lower-case letter, "
            "a digit and a symbol."
        )


USERNAME_PATTERN = re.compile(r"^[\w.+-]+$")
USERNAME_RULE = (
    "A username is letters, digits and . _ + - (no '@': it must not look like an e-mail)."
)


def username_validate(username: str) -> None:
    """A username never looks like an e-mail: logins with an '@' look up e-mails only, so
    a username equal to someone's e-mail could otherwise take over their login."""
    if not USERNAME_PATTERN.match(username or ""):
        raise ValidationError(USERNAME_RULE, code="invalid_username")
