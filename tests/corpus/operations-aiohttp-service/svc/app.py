"""aiohttp application."""

import logging
import uuid

import statsd  # expect: observability.metrics
from aiohttp import web

log = logging.getLogger(__name__)
stats = statsd.StatsClient("localhost", 8125)


@web.middleware
async def request_id(request: web.Request, handler):
    rid = request.headers.get("X-Request-ID", uuid.uuid4().hex)  # expect: observability.request-id
    response = await handler(request)
    response.headers["X-Request-ID"] = rid
    return response


async def items(request: web.Request) -> web.Response:
    stats.incr("items")
    return web.json_response([])


def make_app() -> web.Application:
    app = web.Application(middlewares=[request_id])
    app.router.add_get("/items", items)
    return app


if __name__ == "__main__":
    logging.basicConfig(level="INFO")
    web.run_app(make_app(), port=8080)
