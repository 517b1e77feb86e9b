"""Outbound webhook notifications for task changes."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from .errors import NotifyError

log = logging.getLogger(__name__)


class Notifier:
    """POSTs task events to a webhook URL from background threads.

    At most `max_concurrent` deliveries run at once; events arriving while all
    slots are busy are dropped so a slow receiver cannot pile up threads.
    """

    def __init__(self, url: str | None, max_attempts: int = 4, base_delay: float = 0.2,
                 max_concurrent: int = 4):
        self.url = url
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self._slots = threading.BoundedSemaphore(max_concurrent)

    def notify(self, event: str, task: dict[str, Any]) -> threading.Thread | None:
        if not self.url:
            return None
        thread = threading.Thread(target=self._deliver, args=(event, task),
                                  name=f"notify-{event}", daemon=True)
        thread.start()
        return thread

    def _deliver(self, event: str, task: dict[str, Any]) -> None:
        if not self._slots.acquire(blocking=False):
            log.warning("webhook slots exhausted, dropping %s event", event,
                        extra={"task_id": task.get("id")})
            return
        try:
            self.send({"event": event, "task": task})
        except Exception:
            pass
        finally:
            self._slots.release()

    def send(self, payload: dict[str, Any]) -> int:
        body = json.dumps(payload).encode("utf-8")
        for attempt in range(self.max_attempts):
            request = urllib.request.Request(
                self.url, data=body, method="POST",
                headers={"Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request) as response:
                    return response.status
            except (urllib.error.URLError, OSError) as err:
                if attempt == self.max_attempts - 1:
                    raise NotifyError(
                        f"webhook delivery failed after {self.max_attempts} attempts") from err
                delay = self.base_delay * (2 ** attempt)
                log.warning("webhook attempt %d failed (%s); retrying in %.2fs",
                            attempt + 1, err, delay)
                time.sleep(delay)
        raise NotifyError("webhook delivery not attempted")
