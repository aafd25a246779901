"""`Publisher` for platform `other`: there is no platform to call, so the action is recorded in
Sowana's audit log and the result says so (the team posts the reply by hand where it belongs)."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import col

from bot.comments.lifecycle import audit
from bot.comments.publisher import CommentRef, ConversationRef, Published
from bot.db import session_scope
from bot.models import Comment

log = logging.getLogger(__name__)

NOTE = "platform 'other' has no connector: recorded in Sowana only, post it by hand where the comment was made"


class GenericPublisher:
    records_only = True  # nothing leaves Sowana: callers may show `NOTE` to the team

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _record(self, comment: CommentRef, action: str, **detail: object) -> str:
        local_id = f"local-{uuid.uuid4().hex[:12]}"
        with session_scope(self.engine, write=True) as session:
            comment_id = session.execute(
                select(col(Comment.id)).where(
                    col(Comment.brand) == comment.brand,
                    col(Comment.platform) == comment.platform,
                    col(Comment.external_id) == comment.external_id,
                )
            ).scalar_one_or_none()
            audit(
                session,
                brand=comment.brand,
                actor="publisher:other",
                action=action,
                comment_id=comment_id,
                detail={"local_id": local_id, "note": NOTE, **detail},
            )
        log.info("platform 'other': %s recorded locally as %s (not sent anywhere)", action, local_id)
        return local_id

    def reply(self, comment: CommentRef, text: str) -> Published:
        return Published(platform_id=self._record(comment, "recorded_reply", chars=len(text)))

    def private_reply(self, comment: CommentRef, text: str) -> Published:
        return Published(platform_id=self._record(comment, "recorded_private_reply", chars=len(text)))

    def find_reply(self, comment: CommentRef, text: str) -> Published | None:
        return None  # recorded in one local transaction: nothing to read back

    def send_message(self, to: ConversationRef, text: str) -> Published:
        local_id = f"local-{uuid.uuid4().hex[:12]}"
        with session_scope(self.engine, write=True) as session:
            audit(
                session,
                brand=to.brand,
                actor="publisher:other",
                action="recorded_message",
                detail={"local_id": local_id, "note": NOTE, "chars": len(text)},
            )
        log.info("platform 'other': message recorded locally as %s (not sent anywhere)", local_id)
        return Published(platform_id=local_id)

    def find_message(self, to: ConversationRef, text: str) -> Published | None:
        return None

    def hide(self, comment: CommentRef, hidden: bool = True) -> None:
        self._record(comment, "recorded_hide" if hidden else "recorded_unhide")

    def delete(self, comment: CommentRef) -> None:
        self._record(comment, "recorded_delete")
