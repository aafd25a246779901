"""The outbox: publications (replies, private replies, hide/unhide) sent to the platforms.

A `Publication` row is written with the team's decision (unique per comment and target, so a
double click makes one row); the outbox leases pending rows, calls the platform's `Publisher`,
and records the result. Errors that can heal are retried with backoff; the others fail the
comment with a plain reason, told in the Slack thread with a retry button.

Exactly once: a reply whose earlier try may have reached the platform (a time-out or a 5xx after the
request left, or a process that died mid-call: any try after the first) is first read back from the
platform (`Publisher.find_reply`); found, it is adopted and recorded, not posted again. A private reply
retried after such a try that the platform refuses as "already sent" was ours: it is recorded as sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.comments.casefile import FOLLOWUP
from bot.comments.lifecycle import transition_in
from bot.comments.messages import closed_window, conversation_ref, link_private_reply, touch
from bot.comments.publisher import CommentRef, Published, Publisher, PublishError
from bot.db import session_scope
from bot.logs import request_context
from bot.models import Comment, Publication, State, utcnow
from bot.runtime.leases import LeaseHeartbeat, claim_rows, default_owner
from bot.runtime.loop import PollingLoop
from bot.runtime.retry import RetryPolicy, retry_while_unavailable
from bot.sac.decisions import close_case_if_done

log = logging.getLogger(__name__)

# What answers the comment itself: a public reply, or the message answering a direct message (#24).
_REPLIES = ("public_reply", "message")


def _x_person(comment: Comment) -> str | None:
    """On X a person has one id, the same in mentions and direct messages."""
    return comment.author_id if comment.platform == "x" else None


# Comment states a public reply publishes from.
_PUBLISHES_FROM = (State.approved, State.edited, State.resolved)
# A reply of the review stage moves the comment to `published` from these only: one sent while the
# case is with customer service (a holding reply) leaves the case's state alone.
_REPLY_PUBLISHES = (State.approved, State.edited)


class Notifier(Protocol):
    def refresh(self, comment_id: int) -> None: ...

    def failure(self, comment_id: int, reason: str) -> None: ...


class NullNotifier:
    def refresh(self, comment_id: int) -> None:
        return None

    def failure(self, comment_id: int, reason: str) -> None:
        return None


def comment_ref(comment: Comment) -> CommentRef:
    return CommentRef(
        brand=comment.brand,
        platform=comment.platform,
        external_id=comment.external_id,
        author_id=comment.author_id,
        post_id=comment.post_id,
        parent_id=comment.parent_id,
    )


class Outbox(PollingLoop):
    name = "sowana-outbox"

    def __init__(
        self,
        engine: Engine,
        publisher_for: Callable[[str, str], Publisher],  # (brand, platform) -> Publisher
        notifier: Notifier | None = None,
        *,
        owner: str | None = None,
        lease_seconds: float = 60.0,
        retry: RetryPolicy | None = None,
        poll_seconds: float = 0.5,
    ) -> None:
        super().__init__(poll_seconds)
        self.engine = engine
        self.publisher_for = publisher_for
        self.notifier = notifier or NullNotifier()
        self.owner = owner or default_owner()
        self.lease_seconds = lease_seconds
        self.retry = retry or RetryPolicy()
        self.heartbeat = LeaseHeartbeat(engine, Publication, self.owner, lease_seconds)

    def on_start(self) -> None:
        self.heartbeat.start()

    def stop(self, timeout: float = 10.0) -> None:
        super().stop(timeout)
        self.heartbeat.stop()

    def run_once(self) -> int:
        ids = claim_rows(
            self.engine,
            Publication,
            [col(Publication.status) == "pending"],
            owner=self.owner,
            lease_seconds=self.lease_seconds,
            limit=20,
            count_attempt=True,
        )
        with self.heartbeat.holding(ids):
            for pub_id in ids:
                self.process(pub_id)
        return len(ids)

    def process(self, pub_id: int) -> None:
        with session_scope(self.engine) as s:
            pub = s.get(Publication, pub_id)
            comment = s.get(Comment, pub.comment_id) if pub else None
        if pub is None or comment is None or pub.lease_owner != self.owner or pub.status != "pending":
            return
        assert comment.id is not None
        with request_context(comment.request_id):  # the webhook's id, in every line about this comment
            self._publish(pub_id, pub, comment)

    def _publish(self, pub_id: int, pub: Publication, comment: Comment) -> None:
        assert comment.id is not None
        comment_id = comment.id
        ref = comment_ref(comment)
        try:
            if comment.deleted_at and pub.target in ("public_reply", "hide", "unhide") and not comment.private:
                raise PublishError(
                    "le commentaire a été supprimé par son auteur · the comment was deleted by its author",
                    retryable=False,
                    code="deleted",
                )
            publisher = self.publisher_for(comment.brand, comment.platform)
            result = None
            again = pub.attempts > 1  # an earlier try may have reached the platform
            if pub.target in ("message", "private_reply"):
                self._check_window(comment, pub.target)  # approved in time is not enough: sent in time
            if pub.target == "message":
                result = self._message(publisher, comment, pub.text, again)
            elif pub.target == "public_reply":
                result = publisher.find_reply(ref, pub.text) if again else None
                if result is not None:
                    log.info(
                        "comment %s: reply found on %s, adopted (publication %s)", comment_id, ref.platform, pub_id
                    )
                else:
                    result = publisher.reply(ref, pub.text)
            elif pub.target == "private_reply":
                result = self._private_reply(publisher, ref, pub.text, again)
            elif pub.target in ("hide", "unhide"):
                publisher.hide(ref, pub.target == "hide")
            else:
                raise PublishError(f"unknown publication target {pub.target!r}", retryable=False)
        except Exception as exc:  # PublishError, or anything a connector did not foresee (retryable)
            retryable = exc.retryable if isinstance(exc, PublishError) else True
            reason = str(exc) if isinstance(exc, PublishError) else f"{type(exc).__name__}: {exc}"
            self._failed(pub_id, comment.id, reason, retryable)
            return
        # It is out on the platform: record it even if the database blinks now, or the lease would
        # expire and the reply go out a second time.
        retry_while_unavailable(lambda: self._record(pub_id, pub, comment_id, result), self.lease_seconds / 2)
        log.info("comment %s: %s published on %s (publication %s)", comment_id, pub.target, comment.platform, pub_id)
        self._notify(self.notifier.refresh, comment_id)

    def _check_window(self, comment: Comment, target: str) -> None:
        with session_scope(self.engine) as s:
            closed = closed_window(s, comment, target, utcnow())
        if closed is not None:
            raise PublishError(closed[1], retryable=False, code="window_closed")

    def _message(self, publisher: Publisher, comment: Comment, text: str, again: bool) -> Published:
        """A reply to a direct message, sent as a message in the person's conversation (#24)."""
        with session_scope(self.engine) as s:
            to = conversation_ref(s, comment)
        found = publisher.find_message(to, text) if again else None
        if found is not None:
            log.info("comment %s: message found on %s, adopted", comment.id, comment.platform)
            return found
        return publisher.send_message(to, text)

    @staticmethod
    def _private_reply(publisher: Publisher, ref: CommentRef, text: str, again: bool) -> Published:
        try:
            return publisher.private_reply(ref, text)
        except PublishError as exc:
            if again and exc.code == "private_reply_used":  # one per comment: the earlier try got through
                return Published(platform_id="")
            raise

    def _record(self, pub_id: int, pub: Publication, comment_id: int, result: Published | None) -> None:
        with session_scope(self.engine, write=True) as s:
            row = s.get(Publication, pub_id)
            assert row is not None
            row.status, row.published_at, row.lease_owner, row.lease_until = "published", utcnow(), None, None
            row.last_error = None
            if result is not None:
                row.platform_id, row.url = result.platform_id, result.url
            s.add(row)
            current = s.get(Comment, comment_id)
            if pub.target == "private_reply" and current is not None and result is not None:
                # The person's answer to this private reply belongs in this comment's thread.
                link_private_reply(s, current, result.recipient_id or _x_person(current), None)
            if pub.target == "message" and current is not None:
                touch(s, current)
            if pub.stage == FOLLOWUP:
                close_case_if_done(s, comment_id, actor=pub.requested_by or "outbox")
            elif pub.target in _REPLIES and current is not None and current.state in _REPLY_PUBLISHES:
                transition_in(
                    s,
                    comment_id,
                    State.published,
                    actor=pub.requested_by or "outbox",
                    detail={"publication_id": pub_id, "platform_id": row.platform_id},
                )

    def _failed(self, pub_id: int, comment_id: int, reason: str, retryable: bool) -> None:
        with session_scope(self.engine, write=True) as s:
            row = s.get(Publication, pub_id)
            assert row is not None
            row.last_error = reason[:2000]
            give_up = not retryable or row.attempts >= self.retry.max_attempts
            if give_up:
                row.status, row.lease_owner, row.lease_until = "failed", None, None
                current = s.get(Comment, comment_id)
                # A failed hide leaves the comment hidden here; the thread hears it either way.
                if current is not None and current.state in _PUBLISHES_FROM:
                    transition_in(s, comment_id, State.failed, actor="outbox", reason=reason[:2000])
            else:
                row.lease_owner = None
                row.lease_until = utcnow() + timedelta(seconds=self.retry.delay(row.attempts))
            s.add(row)
        log.warning(
            "publication %s: %s (%s)",
            pub_id,
            "gave up" if give_up else "will retry",
            "permanent" if not retryable else "transient",
        )
        if give_up:
            self._notify(self.notifier.failure, comment_id, reason)
            self._notify(self.notifier.refresh, comment_id)

    def _notify(self, fn: Callable[..., None], *args: object) -> None:
        try:
            fn(*args)
        except Exception:  # Slack being away must not undo a publication
            log.exception("could not update Slack after a publication")

    def drain(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.run_once() == 0:
                with session_scope(self.engine) as s:
                    if s.exec(select(Publication.id).where(col(Publication.status) == "pending")).first() is None:
                        return
                time.sleep(0.02)
        raise TimeoutError("publications still pending")
