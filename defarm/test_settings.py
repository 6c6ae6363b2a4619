"""Settings for the test suite: the normal settings with DEFARM_TESTING on."""

import os

os.environ["DEFARM_TESTING"] = "true"

from defarm.settings import *  # noqa: F403
