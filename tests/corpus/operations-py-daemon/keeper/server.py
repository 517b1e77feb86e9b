"""A key-value daemon speaking a line protocol over TCP."""

import asyncio
import logging

from keeper.logs import setup
from keeper.settings import Settings

log = logging.getLogger(__name__)
STORE: dict[str, str] = {"version": "0.3.0"}


def dispatch(command: str, args: list[str]) -> str:
    if command == "health":  # expect: health.command
        return "ok"
    if command == "get":
        return STORE.get(args[0], "")
    match command:
        case "ping":  # expect: health.command
            return "pong"
        case "set":
            return "error read-only"
    return "error unknown command"


def mode_of(mode: str) -> str:
    if mode == "health":
        return "a mode, not a command"
    return mode


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    line = (await reader.readline()).decode().split()
    writer.write((dispatch(line[0], line[1:]) + "\n").encode())
    await writer.drain()
    writer.close()


async def serve(settings: Settings) -> None:
    server = await asyncio.start_server(handle, "0.0.0.0", settings.port)
    log.info("keeper listening on %s", settings.port)
    async with server:
        await server.start_serving()
        await asyncio.Event().wait()


def main() -> None:
    setup(verbose=False)
    asyncio.run(serve(Settings()))
