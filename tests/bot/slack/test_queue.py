"""The per-channel queue of Slack messages: a message is queued once per key, the most urgent due one
leaves first, and what happens to it (sent, refused for good, tried again, cancelled) moves the comment
that waited on it."""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot.models import Comment, SlackOutgoing, SlackPost, State, utcnow
from bot.slack import queue
from tests.bot.rows import posted_comment, state_of


def job(engine, job_id: int) -> SlackOutgoing:
    with Session(engine) as s:
        row = s.get(SlackOutgoing, job_id)
        assert row is not None
        s.expunge(row)
        return row


def put(engine, key: str, priority: str = "normal", channel: str = "C0REVIEW", **kw) -> int:
    with Session(engine) as s:
        row = queue.enqueue_in(
            s, brand="default", channel=channel, kind="message", key=key, text="Bonjour", priority=priority, **kw
        )
        s.commit()
        assert row.id is not None
        return row.id


def test_the_same_key_queues_one_message_and_a_failed_one_goes_back_in_line(engine):
    first = put(engine, "notice:1")
    assert put(engine, "notice:1") == first
    queue.fail(engine, job(engine, first), "channel_not_found")
    assert job(engine, first).status == "failed"
    assert put(engine, "notice:1", priority="urgent") == first
    again = job(engine, first)
    assert (again.status, again.attempts, again.priority) == ("pending", 0, 0)


def test_outside_text_is_stored_escaped_once_for_slack(engine):
    with Session(engine) as s:
        row = queue.enqueue_in(s, brand="default", channel="C0", kind="message", key="esc", text="<!channel> & co")
        s.commit()
        job_id = row.id
    assert job(engine, job_id).text == "&lt;!channel&gt; &amp; co"


def test_the_most_urgent_due_message_leaves_first_then_the_oldest(engine):
    low = put(engine, "a", "low")
    normal_old = put(engine, "b", "normal")
    normal_new = put(engine, "c", "normal")
    urgent = put(engine, "d", "urgent")
    put(engine, "elsewhere", "urgent", channel="C0SAC")
    order = [queue.claim_next(engine, "C0REVIEW", "me", 60) for _ in range(5)]
    assert order == [urgent, normal_old, normal_new, low, None]  # leased: not handed out twice
    assert queue.due_channels(engine) == ["C0SAC"]
    assert queue.waiting_count(engine, "C0REVIEW") == 4 and queue.waiting_count(engine) == 5


def test_a_message_tried_again_waits_its_backoff_and_counts_the_try(engine):
    job_id = put(engine, "k")
    before = utcnow()
    queue.retry_later(engine, job_id, "503 service_unavailable", clear_started=True, max_backoff=60)
    queue.retry_later(engine, job_id, "503 service_unavailable", clear_started=True, max_backoff=60)
    row = job(engine, job_id)
    assert (row.attempts, row.last_error, row.lease_owner) == (2, "503 service_unavailable", None)
    assert row.lease_until is not None
    waited = (row.lease_until.replace(tzinfo=None) - before.replace(tzinfo=None)).total_seconds()
    assert 1.5 < waited < 3  # 2 s after the second try
    assert queue.claim_next(engine, "C0REVIEW", "me", 60) is None  # not due yet


def test_a_review_message_in_slack_puts_its_comment_in_front_of_the_team(engine):
    comment_id, _ = posted_comment(engine)
    with Session(engine) as s:  # back to `proposed`, its message waiting in the queue
        comment = s.get(Comment, comment_id)
        assert comment is not None
        comment.state = State.proposed
        s.add(comment)
        s.commit()
        row = queue.queue_review(s, comment, "C0REVIEW")
        s.commit()
        job_id = row.id
        parked = s.get(Comment, comment_id)
        assert parked is not None and parked.lease_owner == queue.PARKED  # the worker leaves it be
    queue.record_sent(engine, job(engine, job_id), "1700000000.000100")
    assert state_of(engine, comment_id) == State.posted
    with Session(engine) as s:
        post = s.exec(select(SlackPost).where(col(SlackPost.comment_id) == comment_id)).one()
        comment = s.get(Comment, comment_id)
    assert (post.kind, post.channel, post.ts) == ("review", "C0REVIEW", "1700000000.000100")
    assert comment is not None and comment.lease_owner is None  # unparked


def test_a_review_message_slack_refuses_for_good_fails_its_comment_with_the_reason(engine):
    comment_id, _ = posted_comment(engine)
    with Session(engine) as s:
        comment = s.get(Comment, comment_id)
        assert comment is not None
        comment.state = State.proposed
        s.add(comment)
        s.commit()
        job_id = queue.queue_review(s, comment, "C0GONE").id
        s.commit()
    queue.fail(engine, job(engine, job_id), "channel_not_found")
    assert state_of(engine, comment_id) == State.failed
    with Session(engine) as s:
        comment = s.get(Comment, comment_id)
    assert comment is not None and "channel_not_found" in (comment.failure_reason or "")
    assert comment.lease_owner is None


def test_a_cancelled_review_message_unparks_its_comment(engine):
    comment_id, _ = posted_comment(engine)
    with Session(engine) as s:
        comment = s.get(Comment, comment_id)
        assert comment is not None
        job_id = queue.queue_review(s, comment, "C0REVIEW").id
        s.commit()
    queue.cancel(engine, job_id, "comment is hidden")
    row = job(engine, job_id)
    assert (row.status, row.last_error) == ("cancelled", "comment is hidden")
    with Session(engine) as s:
        comment = s.get(Comment, comment_id)
    assert comment is not None and comment.lease_owner is None
