"""Names that look like retries but retry nothing."""

import logging

log = logging.getLogger(__name__)

retry = 3
max_retries = retry + 1


def retry_later(task):
    """Schedules nothing; just marks the task."""
    task.retry = True
    return task


class RetryPolicy:
    def __init__(self, attempts: int = 3):
        self.attempts = attempts


def should_retry(status: int) -> bool:
    return status >= 500
