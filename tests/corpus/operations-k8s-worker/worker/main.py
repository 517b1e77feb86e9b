"""Queue consumer: stops on SIGTERM or SIGINT."""

import asyncio
import signal


async def consume(stop: asyncio.Event) -> None:
    while not stop.is_set():
        await asyncio.sleep(1)


async def main() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)  # expect: shutdown.signal-handler
    await consume(stop)


if __name__ == "__main__":
    asyncio.run(main())
