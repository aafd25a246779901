"""Liveness (`/healthz`: the process answers and reaches its database), readiness (`/readyz`: it can do
its work — database at the schema this release expects, knowledge store answering, background loops
alive and not stuck) and Prometheus metrics. A load balancer routes to ready processes; an orchestrator
restarts one that stops being live."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from api.deps import AppContext, context_of
from bot.db import head_revision, schema_behind

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


def database_check(context: AppContext) -> dict[str, Any]:
    try:
        behind = schema_behind(context.require_engine())
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return {"ok": False, "reason": f"unreachable ({type(exc).__name__})"}
    return {"ok": False, "reason": behind} if behind else {"ok": True, "revision": head_revision()}


def knowledge_check(context: AppContext) -> dict[str, Any]:
    if context.knowledge is None:
        return {"ok": True, "detail": "not opened by this process"}
    try:
        context.knowledge.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not answering"
        return {"ok": False, "reason": f"Chroma does not answer ({type(exc).__name__})"}
    return {"ok": True}


def loops_check(context: AppContext) -> dict[str, Any]:
    states = [loop.health() for loop in context.loops]
    report = [
        {
            "name": h.name,
            "running": h.running,
            "round_seconds": None if h.round_seconds is None else round(h.round_seconds, 1),
            "failures_in_a_row": h.failures,
        }
        for h in states
    ]
    bad = [h for h in states if not h.ok]
    if bad:
        why = ", ".join(f"{h.name} {'stuck' if h.running else 'stopped'}" for h in bad)
        return {"ok": False, "reason": why, "loops": report}
    return {"ok": True, "loops": report}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    context = context_of(request)
    checks = {
        "database": database_check(context),
        "knowledge": knowledge_check(context),
        "loops": loops_check(context),
    }
    ready = all(check["ok"] for check in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks}, status_code=200 if ready else 503
    )


@router.get("/metrics")
def metrics(request: Request) -> Response:
    metrics = context_of(request).metrics
    assert metrics is not None, "this app counts nothing"
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
