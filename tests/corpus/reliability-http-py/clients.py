"""Outbound HTTP calls with and without timeouts; no circuit breaker anywhere."""

import http.client
import urllib.request

import aiohttp
import httpx
import requests

SESSION = requests.Session()


def fetch_user(user_id):
    return requests.get(f"https://users.example.com/{user_id}").json()  # expect: reliability.no-circuit-breaker, reliability.http-no-timeout


def fetch_user_bounded(user_id):
    return requests.get(f"https://users.example.com/{user_id}", timeout=(3.05, 10)).json()


def post_event(payload, **kwargs):
    return requests.post("https://events.example.com", json=payload, **kwargs)


def post_audit(payload):
    return SESSION.post("https://audit.example.com", json=payload)  # expect: reliability.http-no-timeout


def post_audit_bounded(payload):
    return SESSION.post("https://audit.example.com", json=payload, timeout=5)


def download(url):
    with requests.Session() as session:
        return session.get(url).content  # expect: reliability.http-no-timeout


def report(url, body):
    return requests.request("PUT", url, data=body, timeout=None)  # expect: reliability.http-no-timeout


def ping(url):
    with urllib.request.urlopen(url) as resp:  # expect: reliability.http-no-timeout
        return resp.status


def ping_bounded(url):
    with urllib.request.urlopen(url, None, 5) as resp:
        return resp.status


def ping_keyword(url):
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.status


def legacy(host):
    conn = http.client.HTTPSConnection(host)  # expect: reliability.http-no-timeout
    conn.request("GET", "/")
    return conn.getresponse().status


def httpx_default(url):
    return httpx.get(url)


def httpx_unbounded(url):
    return httpx.get(url, timeout=None)  # expect: reliability.http-no-timeout


def httpx_client():
    return httpx.Client(base_url="https://api.example.com")


def httpx_client_unbounded():
    return httpx.Client(base_url="https://api.example.com", timeout=None)  # expect: reliability.http-no-timeout


async def aio_fetch(url):
    async with aiohttp.ClientSession() as session:  # expect: reliability.http-no-timeout
        async with session.get(url) as resp:
            return await resp.text()


async def aio_fetch_bounded(url):
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:  # expect: reliability.client-timeout
        async with session.get(url) as resp:
            return await resp.text()
