"""Liveness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from api.deps import context_of

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(request: Request) -> Response:
    try:
        with context_of(request).require_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return Response(
            '{"status":"degraded","database":"unreachable"}', status_code=503, media_type="application/json"
        )
    return Response('{"status":"ok","database":"ok"}', media_type="application/json")


@router.get("/metrics")
def metrics(request: Request) -> Response:
    metrics = context_of(request).metrics
    assert metrics is not None, "this app counts nothing"
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
