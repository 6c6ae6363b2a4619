"""Logging helpers named in ``settings.LOGGING``."""

import logging


class WithoutTraceback(logging.Filter):
    """Log the record's message only, dropping its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True
