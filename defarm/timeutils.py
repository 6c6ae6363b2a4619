"""Unix-second timestamps, as V1 keeps them in its ``*_ts`` columns."""

import time


def unix_now() -> int:
    return int(time.time())
