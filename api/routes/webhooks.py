"""Platform webhooks: `GET/POST /webhooks/meta` and `GET/POST /webhooks/x`.

Order of work for a delivery: check the signature on the raw body (forged → 401/403, nothing
read further), parse, store, then answer 200 — so a 200 always means "stored". An unknown page
is logged and answered 200 (the platform would only retry it). Reads the app's `AppContext`
(api/deps.py): engine and settings; brands (else loaded from settings), `wake_worker()` and
`on_comment_changed(comment_id, "edited" | "deleted")` when set.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse

from api.deps import context_of
from api.platforms.events import Event, MalformedPayload
from api.platforms.inbound import ApplyReport, apply_events
from api.platforms.meta_events import parse_meta
from api.platforms.signatures import constant_time_equals, verify_meta, verify_x, x_crc_response
from api.platforms.x_events import parse_x_activity
from bot.brands import Brands, load_brands
from bot.settings import reveal

log = logging.getLogger(__name__)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


def _brands(request: Request) -> Brands:
    context = context_of(request)
    if context.brands is None:
        context.brands = load_brands(context.settings)
    return context.brands


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python reads NaN and Infinity; no platform sends them


def _json(body: bytes) -> Any:
    try:
        return json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:  # bad UTF-8, bad JSON, NaN, nesting deeper than Python recurses
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"the body is not valid JSON ({exc.__class__.__name__})"
        ) from None


def _after_store(request: Request, report: ApplyReport) -> None:
    wake = context_of(request).wake_worker
    if report.created and wake is not None:
        wake()
    changed = context_of(request).on_comment_changed
    if changed is not None:
        for comment_id, kind in report.changed:
            try:
                changed(comment_id, kind)
            except Exception:  # noqa: BLE001 - the change is stored; a notification failure must not undo the 200
                log.exception("on_comment_changed failed for comment %s", comment_id)


async def _store(request: Request, events: list[Event], actor: str) -> JSONResponse:
    report = await run_in_threadpool(apply_events, context_of(request).require_engine(), events, actor=actor)
    metrics = context_of(request).metrics
    if metrics is not None and report.not_handled:
        metrics.count_unhandled(actor.partition(":")[0], report.not_handled)
    _after_store(request, report)
    return JSONResponse(report.as_dict())


# ---- Meta --------------------------------------------------------------------------------------


@router.get("/meta", response_class=PlainTextResponse)
def meta_verify(request: Request) -> PlainTextResponse:
    """Meta's subscription handshake: echo `hub.challenge` when `hub.verify_token` is ours."""
    q = request.query_params
    expected = reveal(context_of(request).settings.meta_verify_token)
    if q.get("hub.mode") != "subscribe" or not constant_time_equals(q.get("hub.verify_token"), expected):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "verification failed: wrong hub.mode or hub.verify_token")
    return PlainTextResponse(q.get("hub.challenge", ""))


async def _signed_delivery(
    request: Request,
    *,
    secret: str | None,
    secret_name: str,
    header_name: str,
    verify: Callable[[str, bytes, str], bool],
    parse: Callable[[Any, Any], list[Event]],
    actor: str,
) -> JSONResponse:
    """Check a platform delivery's signature over the raw body, parse it, store it, answer fast.
    Unsigned → 401, forged → 403, malformed → 400: nothing is stored in any of those cases."""
    if not secret:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"{secret_name} is not configured")
    body = await request.body()
    header = request.headers.get(header_name)
    if not header:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"missing {header_name}")
    if not verify(secret, body, header):
        log.warning("%s: signature mismatch (%d bytes): refused", actor, len(body))
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"{header_name} does not match the body")
    try:
        events = parse(_json(body), _brands(request))
    except MalformedPayload as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    return await _store(request, events, actor)


@router.post("/meta")
async def meta_events(request: Request) -> JSONResponse:
    return await _signed_delivery(
        request,
        secret=reveal(context_of(request).settings.meta_app_secret),
        secret_name="META_APP_SECRET",
        header_name="X-Hub-Signature-256",
        verify=verify_meta,
        parse=parse_meta,
        actor="meta:webhook",
    )


# ---- X -----------------------------------------------------------------------------------------


@router.get("/x")
def x_crc(request: Request, crc_token: str | None = None) -> dict[str, str]:
    """X's challenge-response check: `response_token` = sha256= + base64 HMAC(consumer secret, crc_token)."""
    secret = reveal(context_of(request).settings.x_consumer_secret)
    if not secret:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "X_CONSUMER_SECRET is not configured")
    if not crc_token:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "crc_token is required")
    return {"response_token": x_crc_response(secret, crc_token)}


@router.post("/x")
async def x_events(request: Request) -> JSONResponse:
    return await _signed_delivery(
        request,
        secret=reveal(context_of(request).settings.x_consumer_secret),
        secret_name="X_CONSUMER_SECRET",
        header_name="x-twitter-webhooks-signature",
        verify=verify_x,
        parse=parse_x_activity,
        actor="x:webhook",
    )
