"""Clients whose timeout is set once, where they are made."""

import aiohttp
import httpx

PARTNER = httpx.Client(base_url="https://partner.example.com", timeout=10.0)  # expect: reliability.client-timeout, reliability.no-circuit-breaker
SEARCH = httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=2.0))  # expect: reliability.client-timeout
DEFAULTED = httpx.Client(base_url="https://other.example.com")
UNBOUNDED = httpx.Client(timeout=None)  # expect: reliability.http-no-timeout


async def session():
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))  # expect: reliability.client-timeout


def partner_status():
    return PARTNER.get("/status").json()
