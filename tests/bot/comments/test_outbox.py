"""The outbox publishes what the team approved, exactly once, and says plainly when a platform refuses:
a refusal that cannot heal fails the comment with the platform's reason at once; one that can is tried
again later, and the team is told only once it gives up."""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot.comments import decisions
from bot.comments.outbox import Outbox
from bot.comments.publisher import CommentRef, Published, PublishError
from bot.models import Comment, Publication, State
from bot.runtime.retry import RetryPolicy
from tests.bot.rows import posted_comment, state_of


class Platform:
    """A publisher that answers from a script: each call pops the next answer (an error or a reply)."""

    def __init__(self, *answers: Exception | None) -> None:
        self.answers = list(answers)
        self.replies: list[tuple[str, str]] = []
        self.hidden: list[str] = []

    def _next(self) -> None:
        answer = self.answers.pop(0) if self.answers else None
        if answer is not None:
            raise answer

    def reply(self, comment: CommentRef, text: str) -> Published:
        self._next()
        self.replies.append((comment.external_id, text))
        return Published(platform_id=f"r{len(self.replies)}", url="https://www.facebook.com/r")

    def find_reply(self, comment: CommentRef, text: str) -> Published | None:
        return None  # a stand-in that answers every call: nothing is ever ambiguous

    def private_reply(self, comment: CommentRef, text: str) -> Published:
        return self.reply(comment, text)

    def hide(self, comment: CommentRef, hidden: bool = True) -> None:
        self._next()
        self.hidden.append(comment.external_id)

    def delete(self, comment: CommentRef) -> None:
        raise AssertionError("the outbox never deletes")


class Told:
    def __init__(self) -> None:
        self.failures: list[tuple[int, str]] = []
        self.refreshed: list[int] = []

    def refresh(self, comment_id: int) -> None:
        self.refreshed.append(comment_id)

    def failure(self, comment_id: int, reason: str) -> None:
        self.failures.append((comment_id, reason))


def publication(engine, comment_id: int) -> Publication:
    with Session(engine) as s:
        pub = s.exec(select(Publication).where(col(Publication.comment_id) == comment_id)).one()
        s.expunge(pub)
        return pub


def test_an_approved_reply_goes_out_once_and_the_message_is_refreshed(engine):
    comment_id, (proposal_id,) = posted_comment(engine)
    decisions.approve(engine, proposal_id, "U0CM")
    platform, told = Platform(), Told()
    outbox = Outbox(engine, lambda _brand, _platform: platform, told)
    outbox.drain(timeout=10)
    outbox.drain(timeout=10)  # nothing left: not twice
    assert platform.replies == [("c1", "Bonjour Julie, réponse serious.")]
    pub = publication(engine, comment_id)
    assert (pub.status, pub.platform_id, pub.url) == ("published", "r1", "https://www.facebook.com/r")
    assert state_of(engine, comment_id) == State.published
    assert told.refreshed == [comment_id] and told.failures == []


def test_a_refusal_that_cannot_heal_fails_the_comment_with_the_platforms_reason(engine):
    comment_id, (proposal_id,) = posted_comment(engine)
    decisions.approve(engine, proposal_id, "U0CM")
    reason = "jeton expiré · token expired"
    told = Told()
    Outbox(engine, lambda _b, _p: Platform(PublishError(reason, retryable=False)), told).drain(timeout=10)
    assert publication(engine, comment_id).status == "failed"
    assert state_of(engine, comment_id) == State.failed
    with Session(engine) as s:
        comment = s.get(Comment, comment_id)
        assert comment is not None and reason in (comment.failure_reason or "")
    assert told.failures == [(comment_id, reason)]


def test_a_passing_failure_is_tried_again_and_the_team_hears_nothing(engine):
    comment_id, (proposal_id,) = posted_comment(engine)
    decisions.approve(engine, proposal_id, "U0CM")
    platform, told = Platform(PublishError("503", retryable=True), TimeoutError("no answer")), Told()
    outbox = Outbox(engine, lambda _b, _p: platform, told, retry=RetryPolicy(max_attempts=5, base_delay=0.0))
    outbox.drain(timeout=10)
    pub = publication(engine, comment_id)
    assert (pub.status, pub.attempts) == ("published", 3)
    assert platform.replies == [("c1", "Bonjour Julie, réponse serious.")]
    assert told.failures == []


def test_a_hide_reaches_the_platform(engine):
    comment_id, _ = posted_comment(engine)
    decisions.hide(engine, comment_id, "U0CM")
    platform = Platform()
    Outbox(engine, lambda _b, _p: platform).drain(timeout=10)
    assert platform.hidden == ["c1"] and publication(engine, comment_id).status == "published"
    assert state_of(engine, comment_id) == State.hidden
