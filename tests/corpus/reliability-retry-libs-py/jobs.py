"""Retries through libraries: tenacity, backoff, stamina, urllib3."""

import backoff
import stamina
import tenacity
from requests.adapters import HTTPAdapter
from tenacity import (
    AsyncRetrying,
    retry,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
    wait_fixed,
    wait_random,
    wait_random_exponential,
)
from urllib3.util.retry import Retry


class TransientError(Exception):
    pass


@retry(stop=stop_after_attempt(5), wait=wait_random_exponential(multiplier=0.5, max=30))  # expect: reliability.retry-with-backoff
def sync_inventory():
    return "ok"


@retry(stop=stop_after_attempt(4), wait=wait_exponential(multiplier=1, max=20))  # expect: reliability.retry-with-backoff, reliability.retry-without-jitter
def publish_report():
    return "ok"


@retry  # expect: reliability.retry-unbounded, reliability.retry-without-backoff
def refresh_token():
    return "token"


@tenacity.retry(wait=wait_exponential(multiplier=1) + wait_random(0, 1))  # expect: reliability.retry-unbounded
def rebuild_index():
    return "ok"


@retry(stop=stop_after_delay(10), wait=wait_fixed(2))  # expect: reliability.retry-without-backoff
def reserve_seat():
    return "ok"


@backoff.on_exception(backoff.expo, TransientError, max_tries=6)  # expect: reliability.retry-with-backoff
def charge_card():
    return "ok"


@backoff.on_exception(backoff.expo, TransientError, max_time=60, jitter=None)  # expect: reliability.retry-with-backoff, reliability.retry-without-jitter
def send_invoice():
    return "ok"


@backoff.on_exception(backoff.expo, TransientError)  # expect: reliability.retry-unbounded
def ship_order():
    return "ok"


@backoff.on_exception(backoff.constant, TransientError, interval=2, max_tries=3)  # expect: reliability.retry-without-backoff
def ping_partner():
    return "ok"


@stamina.retry(on=TransientError, attempts=5)  # expect: reliability.retry-with-backoff
def fetch_rates():
    return "ok"


async def resize_images(job):
    async for attempt in AsyncRetrying(stop=stop_after_attempt(3), wait=wait_random_exponential(max=10)):  # expect: reliability.retry-with-backoff
        with attempt:
            return await job()


def mount_retries(session):
    policy = Retry(total=5, backoff_factor=0.3, status_forcelist=[502, 503])  # expect: reliability.retry-with-backoff, reliability.retry-without-jitter
    session.mount("https://", HTTPAdapter(max_retries=policy))
    jittered = Retry(total=5, backoff_factor=0.3, backoff_jitter=0.5)  # expect: reliability.retry-with-backoff
    session.mount("http://", HTTPAdapter(max_retries=jittered))
    eager = Retry(total=3)  # expect: reliability.retry-without-backoff
    session.mount("ftp://", HTTPAdapter(max_retries=eager))
    off = Retry(False)
    return off
