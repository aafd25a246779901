"""Direct messages (#24) on the bot's side: stored once in their person's conversation and thread, answered
as messages through the outbox, and only inside the platform's reply window (checked before any call)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from bot.comments import decisions
from bot.comments.ingest import MessageIn
from bot.comments.lifecycle import transition
from bot.comments.messages import closing_windows, ingest_message, link_private_reply, mark_reminded
from bot.comments.outbox import Outbox
from bot.comments.publisher import CommentRef, ConversationRef, Published, PublishError
from bot.models import Comment, Conversation, Proposal, Publication, State, utcnow
from tests.bot.rows import posted_comment, state_of


def message(external_id: str, text: str = "Bonjour, toujours rien reçu", *, sender: str = "psid-1", **kw) -> MessageIn:
    return MessageIn.model_validate(
        {
            "platform": kw.pop("platform", "facebook"),
            "external_id": external_id,
            "account_id": "page-1",
            "author": {"id": sender, "name": kw.pop("name", "Messenger user")},
            "text": text,
            **kw,
        }
    )


def test_a_message_is_stored_once_and_a_new_person_opens_a_thread_their_next_messages_follow(engine):
    first, created = ingest_message(engine, message("m.1"))
    again, created_again = ingest_message(engine, message("m.1"))
    assert created and not created_again and again.id == first.id  # a webhook retry stores nothing twice
    assert first.private and first.thread_of is None  # someone new: a review message of its own
    second, _ = ingest_message(engine, message("m.2", "Et ma commande 1234 ?"))
    assert second.thread_of == first.id  # the same person's next message goes into that thread
    with Session(engine) as s:
        conv = s.exec(select(Conversation)).one()
        assert (conv.anchor_id, conv.participant_id, conv.account_id) == (first.id, "psid-1", "page-1")
        assert conv.last_inbound_at is not None


def test_a_message_from_someone_who_commented_goes_into_that_comments_thread_with_their_name(engine):
    comment_id, _ = posted_comment(engine)  # author a1, "Julie Tremblay"
    dm, _ = ingest_message(engine, message("m.1", sender="a1", platform="facebook"))
    assert dm.thread_of == comment_id and dm.author_name == "Julie Tremblay"
    other, _ = ingest_message(engine, message("m.9", sender="a1", platform="instagram"))
    assert other.thread_of is None  # another platform, another conversation


def test_the_answer_to_a_private_reply_lands_in_the_comments_thread_under_the_messenger_id(engine):
    """Meta answers a private reply with the person's PSID, which differs from their comment's author id:
    the answer that follows is recognised by it."""
    comment_id, _ = posted_comment(engine)
    with Session(engine) as s:
        comment = s.get(Comment, comment_id)
        link_private_reply(s, comment, "psid-77", "page-1")
        s.commit()
    dm, _ = ingest_message(engine, message("m.1", sender="psid-77"))
    assert dm.thread_of == comment_id and dm.author_name == "Julie Tremblay"
    with Session(engine) as s:
        conv = s.exec(select(Conversation)).one()
        assert (conv.author_id, conv.participant_id) == ("a1", "psid-77")  # erasure finds it by either


def posted_message(
    engine,
    *,
    written_hours_ago: float,
    sender: str = "psid-1",
    platform: str = "facebook",
    reply: str = "Pouvez-vous nous donner votre numéro de commande?",
) -> tuple[int, int]:
    """A direct message written that long ago, in front of the team with one proposal: (id, proposal id)."""
    written = utcnow() - timedelta(hours=written_hours_ago)
    dm, _ = ingest_message(
        engine, message(f"m.{sender}", sender=sender, platform=platform, created_at=written.isoformat())
    )
    assert dm.id is not None
    for state in (State.triaged, State.proposed, State.posted):
        transition(engine, dm.id, state, actor="test")
    with Session(engine) as s:
        p = Proposal(brand="default", comment_id=dm.id, text=reply, persona="informatif", kind="serious")
        s.add(p)
        s.commit()
        assert p.id is not None
        return dm.id, p.id


def test_an_approval_within_the_window_becomes_one_message_and_past_it_is_refused_before_any_call(engine):
    dm_id, proposal_id = posted_message(engine, written_hours_ago=21)
    assert decisions.approve(engine, proposal_id, "U0CM").ok
    with Session(engine) as s:
        pubs = s.exec(select(Publication).where(col(Publication.comment_id) == dm_id)).all()
    assert [p.target for p in pubs] == ["message"]  # sent as a message in the conversation, not a comment

    late_id, late_proposal = posted_message(engine, sender="psid-2", written_hours_ago=25)
    refused = decisions.approve(engine, late_proposal, "U0CM")
    assert not refused.ok and refused.tell_thread
    assert "fenêtre de réponse de Messenger est fermée" in refused.message
    assert "Messenger's reply window closed" in refused.message
    with Session(engine) as s:
        assert not s.exec(select(Publication).where(col(Publication.comment_id) == late_id)).all()
    assert state_of(engine, late_id) == State.posted  # nothing moved: the team may still answer publicly


def test_x_sets_no_time_window(engine):
    _, proposal_id = posted_message(engine, sender="x-9", written_hours_ago=24 * 30, platform="x")
    assert decisions.approve(engine, proposal_id, "U0CM").ok


def test_a_direct_message_cannot_be_hidden(engine):
    dm_id, _ = posted_message(engine, written_hours_ago=1)
    refused = decisions.hide(engine, dm_id, "U0CM")
    assert not refused.ok and "private message cannot be hidden" in refused.message


class Messages:
    """A publisher that records what would reach the platform."""

    def __init__(self) -> None:
        self.sent: list[tuple[ConversationRef, str]] = []

    def send_message(self, to: ConversationRef, text: str) -> Published:
        self.sent.append((to, text))
        return Published(platform_id=f"mid.{len(self.sent)}")

    def find_message(self, to: ConversationRef, text: str) -> Published | None:
        return None

    def reply(self, comment: CommentRef, text: str) -> Published:
        raise AssertionError("a direct message is never answered with a public reply")

    def private_reply(self, comment: CommentRef, text: str) -> Published:
        return Published(platform_id="mid.pr", recipient_id="psid-55")

    def find_reply(self, comment: CommentRef, text: str) -> Published | None:
        return None

    def hide(self, comment: CommentRef, hidden: bool = True) -> None:
        raise AssertionError

    def delete(self, comment: CommentRef) -> None:
        raise AssertionError


def test_the_outbox_sends_the_reply_into_the_conversation_once(engine):
    dm_id, proposal_id = posted_message(engine, written_hours_ago=2)
    assert decisions.approve(engine, proposal_id, "U0CM").ok
    publisher = Messages()
    Outbox(engine, lambda _b, _p: publisher).drain()
    assert len(publisher.sent) == 1
    to, text = publisher.sent[0]
    assert (to.platform, to.participant_id, to.account_id) == ("facebook", "psid-1", "page-1")
    assert text.startswith("Pouvez-vous")
    assert state_of(engine, dm_id) == State.published


def test_a_reply_approved_in_time_but_sent_after_the_window_closed_is_refused_before_the_call(engine):
    dm_id, proposal_id = posted_message(engine, written_hours_ago=23.5)
    assert decisions.approve(engine, proposal_id, "U0CM").ok
    with Session(engine) as s:  # the outbox was away until the window closed
        conv = s.exec(select(Conversation)).one()
        conv.last_inbound_at = utcnow() - timedelta(hours=24, minutes=1)
        s.add(conv)
        s.commit()
    publisher = Messages()
    Outbox(engine, lambda _b, _p: publisher).drain()
    assert publisher.sent == []
    with Session(engine) as s:
        pub = s.exec(select(Publication).where(col(Publication.comment_id) == dm_id)).one()
    assert pub.status == "failed" and "reply window closed" in (pub.last_error or "")
    assert state_of(engine, dm_id) == State.failed


@pytest.mark.parametrize("platform", ["facebook", "x"])
def test_a_published_private_reply_links_the_persons_messaging_id_to_the_comment(engine, platform):
    comment_id, _ = posted_comment(engine)
    with Session(engine) as s:
        comment = s.get(Comment, comment_id)
        comment.platform = platform
        s.add(comment)
        s.add(Publication(brand="default", comment_id=comment_id, target="private_reply", text="Écrivez-nous"))
        s.commit()

    class Answers(Messages):
        def private_reply(self, comment: CommentRef, text: str) -> Published:
            # Meta answers with the person's PSID; X with nothing more: a person has one id everywhere.
            return Published(platform_id="mid.pr", recipient_id="psid-55" if platform == "facebook" else None)

    Outbox(engine, lambda _b, _p: Answers()).drain()
    with Session(engine) as s:
        conv = s.exec(select(Conversation)).one()
    assert conv.participant_id == ("psid-55" if platform == "facebook" else "a1")
    assert conv.anchor_id == comment_id


def test_a_refused_message_is_told_with_the_platforms_reason(engine):
    dm_id, proposal_id = posted_message(engine, written_hours_ago=1)
    assert decisions.approve(engine, proposal_id, "U0CM").ok

    class Blocked(Messages):
        def send_message(self, to: ConversationRef, text: str) -> Published:
            raise PublishError("this person isn't available right now", retryable=False, code="recipient_unavailable")

    Outbox(engine, lambda _b, _p: Blocked()).drain()
    assert state_of(engine, dm_id) == State.failed


def test_a_window_closing_on_an_unanswered_message_is_found_once_and_not_after_the_answer(engine):
    dm_id, proposal_id = posted_message(engine, written_hours_ago=22.5)  # 1 h 30 left: within the 2 h
    posted_message(engine, sender="psid-early", written_hours_ago=3)  # 21 h left: not yet
    with Session(engine) as s:
        closing = closing_windows(s, utcnow())
        assert [m.id for _, m in closing] == [dm_id]
        assert mark_reminded(s, closing[0][0]) and not mark_reminded(s, closing[0][0])  # one process tells it
        s.commit()
    with Session(engine) as s:
        assert closing_windows(s, utcnow()) == []  # reminded for this message
    again, _ = ingest_message(
        engine, message("m.again", "Allô?", created_at=(utcnow() - timedelta(hours=22)).isoformat())
    )
    with Session(engine) as s:  # the person wrote again: a new window, told again if it nears its end
        assert [m.id for _, m in closing_windows(s, utcnow(), timedelta(hours=2, minutes=30))] == [again.id]
    assert again.id is not None
    for state in (State.triaged, State.proposed, State.posted, State.approved, State.published):
        transition(engine, again.id, state, actor="test")
    with Session(engine) as s:  # answered: nothing to remind
        assert closing_windows(s, utcnow(), timedelta(hours=2, minutes=30)) == []
