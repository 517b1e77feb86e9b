"""Async handlers that block the event loop, next to ones that do not."""

import asyncio
import sqlite3
import subprocess
import time
from urllib.request import urlopen

import httpx
import requests


async def slow_health():
    time.sleep(0.5)  # expect: performance.blocking-call-in-async
    return {"status": "ok"}


async def fetch_profile(user_id):
    response = requests.get(f"https://api.example.com/users/{user_id}", timeout=5)  # expect: performance.blocking-call-in-async, reliability.no-circuit-breaker
    return response.json()


async def ping_upstream(url):
    with urlopen(url, timeout=3) as resp:  # expect: performance.blocking-call-in-async
        return resp.status


async def read_template(name):
    with open(f"templates/{name}.html", encoding="utf-8") as fh:  # expect: performance.blocking-call-in-async
        return fh.read()


async def count_rows(path):
    conn = sqlite3.connect(path, timeout=5)  # expect: performance.blocking-call-in-async
    try:
        return conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]  # expect: performance.blocking-call-in-async
    finally:
        conn.close()


async def git_version():
    result = subprocess.run(["git", "describe"], capture_output=True, timeout=10, check=False)  # expect: performance.blocking-call-in-async
    return result.stdout


async def good_sleep():
    await asyncio.sleep(0.5)


async def good_fetch(user_id):
    async with httpx.AsyncClient(timeout=5) as client:  # expect: reliability.client-timeout
        return (await client.get(f"https://api.example.com/users/{user_id}")).json()


async def offloaded(path):
    return await asyncio.to_thread(_read, path)


def _read(path):
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def sync_worker():
    time.sleep(1)
    return requests.post("https://api.example.com/jobs", timeout=5).status_code
