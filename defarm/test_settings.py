"""Settings for the test suite: the normal settings with DEFARM_TESTING on."""

import os

os.environ["DEFARM_TESTING"] = "true"

from defarm.settings import *  # noqa: F403

# Tests create many accounts: hash their passwords cheaply (the real hashers still verify).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]  # noqa: F405
