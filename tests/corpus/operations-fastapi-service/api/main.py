"""FastAPI service with deep readiness, metrics, tracing and structured logs."""

import redis
import structlog
import uvicorn
from asgi_correlation_id import CorrelationIdMiddleware  # expect: observability.request-id
from fastapi import FastAPI, Response
from opentelemetry import trace  # expect: observability.tracing
from prometheus_client import Counter, make_asgi_app

structlog.configure(processors=[structlog.processors.JSONRenderer()])  # expect: observability.structured-logging
log = structlog.get_logger()
tracer = trace.get_tracer(__name__)
REQUESTS = Counter("requests_total", "Requests served")

app = FastAPI()
app.add_middleware(CorrelationIdMiddleware)
app.mount("/metrics", make_asgi_app())  # expect: observability.metrics
cache = redis.Redis(host="cache", socket_timeout=1)


@app.get("/healthz")
def healthz(response: Response) -> dict:
    try:
        cache.ping()  # expect: health.deep-check
    except redis.RedisError:
        response.status_code = 503
        return {"status": "cache unavailable"}
    return {"status": "ok"}


@app.get("/livez")
def livez() -> dict:
    return {"status": "alive"}


@app.get("/items")
def items() -> list:
    REQUESTS.inc()
    log.info("items listed")
    return []


if __name__ == "__main__":
    uvicorn.run(app, port=8000)
