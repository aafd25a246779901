"""Generic ingest (`POST /api/comments`) and a comment's full record (`GET /api/comments/{id}`)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response, status
from pydantic import BaseModel
from sqlalchemy import select
from sqlmodel import col

from api.deps import context_of, require_api_token
from bot.comments.ingest import CommentIn, ingest
from bot.db import session_scope
from bot.models import Comment, Decision, Escalation, Proposal, Publication, TriageRecord

# Row ids are 32-bit integers on PostgreSQL: a larger one is no comment (and the database would refuse it).
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
router = APIRouter(prefix="/api/comments", tags=["comments"], dependencies=[Depends(require_api_token)])


class Accepted(BaseModel):
    id: int
    state: str
    duplicate: bool


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=Accepted)
def post_comment(data: CommentIn, request: Request, response: Response) -> Accepted:
    context = context_of(request)
    metrics = context.metrics
    assert metrics is not None, "the comments router is mounted by create_app"
    started = time.perf_counter()
    comment, created = ingest(context.require_engine(), data)
    metrics.ingest_latency.observe(time.perf_counter() - started)
    metrics.ingested.labels(data.platform.value, "created" if created else "duplicate").inc()
    assert comment.id is not None
    response.headers["Location"] = f"/api/comments/{comment.id}"
    wake = context.wake_worker
    if created and wake is not None:
        wake()
    return Accepted(id=comment.id, state=comment.state, duplicate=not created)


def _dt(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat()


@router.get("/{comment_id}")
def get_comment(comment_id: RowId, request: Request) -> dict[str, Any]:
    with session_scope(context_of(request).require_engine()) as session:
        comment = session.get(Comment, comment_id)
        if comment is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no comment {comment_id}")
        triage = session.execute(
            select(TriageRecord).where(col(TriageRecord.comment_id) == comment_id)
        ).scalar_one_or_none()
        proposals = (
            session.execute(select(Proposal).where(col(Proposal.comment_id) == comment_id).order_by(col(Proposal.id)))
            .scalars()
            .all()
        )
        decisions = (
            session.execute(select(Decision).where(col(Decision.comment_id) == comment_id).order_by(col(Decision.id)))
            .scalars()
            .all()
        )
        publications = (
            session.execute(
                select(Publication).where(col(Publication.comment_id) == comment_id).order_by(col(Publication.id))
            )
            .scalars()
            .all()
        )
        escalation = session.execute(
            select(Escalation).where(col(Escalation.comment_id) == comment_id)
        ).scalar_one_or_none()
    return {
        "id": comment.id,
        "brand": comment.brand,
        "platform": comment.platform,
        "external_id": comment.external_id,
        "author": {"id": comment.author_id, "name": comment.author_name},
        "text": comment.text,
        "post_id": comment.post_id,
        "parent_id": comment.parent_id,
        "url": comment.url,
        # A direct message (#24): shown in the review thread of `thread_of` (None: its own message).
        "private": comment.private,
        "thread_of": comment.thread_of,
        "attachments": comment.attachments or [],
        "created_at": _dt(comment.created_at),
        "received_at": _dt(comment.received_at),
        "state": comment.state,
        "failure_reason": comment.failure_reason,
        "triage": None
        if triage is None
        else {"status": triage.status, "source": triage.source, "result": triage.result},
        "proposals": [
            {
                "id": p.id,
                "text": p.text,
                "persona": p.persona,
                "kind": p.kind,
                "cited_ids": p.cited_ids,
                "round": p.round,
                "source": p.source,
                "variant": p.variant,
                "target": p.target,
            }
            for p in proposals
        ],
        "decisions": [
            {
                "id": d.id,
                "actor": d.actor,
                "action": d.action,
                "proposal_id": d.proposal_id,
                "original_text": d.original_text,
                "edited_text": d.edited_text,
                "at": _dt(d.created_at),
            }
            for d in decisions
        ],
        "publications": [
            {
                "id": p.id,
                "target": p.target,
                "stage": p.stage,
                "status": p.status,
                "text": p.text,
                "platform_id": p.platform_id,
                "url": p.url,
                "attempts": p.attempts,
                "last_error": p.last_error,
                "published_at": _dt(p.published_at),
            }
            for p in publications
        ],
        "escalation": None if escalation is None else _escalation(escalation),
    }


def _escalation(e: Escalation) -> dict[str, Any]:
    """The customer-service case and its clocks (business seconds; see bot/sla.py)."""
    return {
        "status": e.status,
        "auto": e.auto,
        "urgent": e.urgent,
        "requested_by": e.requested_by,
        "owner": e.owner,
        "note": e.note,
        "resolution_note": e.resolution_note,
        "followup": e.followup,
        "created_at": _dt(e.created_at),
        "claimed_at": _dt(e.claimed_at),
        "resolved_at": _dt(e.resolved_at),
        "closed_at": _dt(e.closed_at),
        "first_response_seconds": e.first_response_seconds,
        "resolution_seconds": e.resolution_seconds,
        "first_response_breached": e.first_response_breached_at is not None,
        "resolution_breached": e.resolution_breached_at is not None,
    }
