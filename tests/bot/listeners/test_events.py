"""Reactions on review messages and talk in their threads, called with typed requests: ✅ approves the
first proposal, 🚫 hides, 🆘 escalates, once per Slack event however often Slack retries it; thread
messages are kept, the bot's own posts and edits are not."""

from __future__ import annotations

import asyncio

from sqlmodel import Session, select

from bot.listeners import events
from bot.listeners.requests import MessageRequest, ReactionRequest
from bot.models import SlackPost, State, ThreadMessage
from tests.bot.listeners.fakes import FakeClient, services
from tests.bot.rows import posted_comment, state_of

TS = "1700000000.000100"


def review_message(engine, comment_id: int) -> None:
    with Session(engine) as s:
        s.add(SlackPost(brand="default", comment_id=comment_id, kind="review", channel="C0REVIEW", ts=TS))
        s.commit()


def reaction(name: str, event_id: str, user: str = "U0CM") -> ReactionRequest:
    return ReactionRequest(reaction=name, user=user, item_type="message", channel="C0REVIEW", ts=TS, event_id=event_id)


def test_a_check_mark_approves_the_first_proposal_once_however_often_slack_retries(engine):
    comment_id, _ = posted_comment(engine)
    review_message(engine, comment_id)
    bot, review, _ = services(engine)
    for _ in range(2):  # Slack's retry carries the same event id
        asyncio.run(events.on_reaction(bot, reaction(events.APPROVE_REACTION, "Ev1"), FakeClient()))
    assert state_of(engine, comment_id) == State.approved and review.refreshed == [comment_id]


def test_other_reactions_and_other_messages_do_nothing(engine):
    comment_id, _ = posted_comment(engine)
    review_message(engine, comment_id)
    bot, review, _ = services(engine)
    asyncio.run(events.on_reaction(bot, reaction("tada", "Ev2"), FakeClient()))
    elsewhere = ReactionRequest("sos", "U0CM", "message", "C0OTHER", TS, "Ev3")
    asyncio.run(events.on_reaction(bot, elsewhere, FakeClient()))
    assert state_of(engine, comment_id) == State.posted and review.refreshed == []


def test_sos_escalates_and_a_stop_sign_from_someone_not_allowed_is_refused(engine):
    comment_id, _ = posted_comment(engine)
    review_message(engine, comment_id)
    strict, _, _ = services(engine, approvers=("U0LEAD",))
    client = FakeClient()
    asyncio.run(events.on_reaction(strict, reaction(events.HIDE_REACTION, "Ev4", user="U0INTERN"), client))
    assert state_of(engine, comment_id) == State.posted and len(client.said("chat.postEphemeral")) == 1
    asyncio.run(events.on_reaction(strict, reaction(events.ESCALATE_REACTION, "Ev5", user="U0INTERN"), FakeClient()))
    assert state_of(engine, comment_id) == State.escalated  # anyone may call customer service in


def test_team_talk_in_a_review_thread_is_kept_but_not_the_bots_posts(engine):
    comment_id, _ = posted_comment(engine)
    review_message(engine, comment_id)
    bot, _, _ = services(engine)
    talk = MessageRequest("C0REVIEW", "1700000001.0", TS, "U0CM", "On attend le SAC", by_bot=False, subtype=None)
    ours = MessageRequest("C0REVIEW", "1700000002.0", TS, "", "Publié", by_bot=True, subtype=None)
    edit = MessageRequest("C0REVIEW", "1700000003.0", TS, "U0CM", "x", by_bot=False, subtype="message_changed")
    for req in (talk, talk, ours, edit):
        asyncio.run(events.on_message(bot, req))
    with Session(engine) as s:
        kept = s.exec(select(ThreadMessage)).all()
    assert [(m.comment_id, m.user, m.text) for m in kept] == [(comment_id, "U0CM", "On attend le SAC")]


def test_a_mention_answers_with_the_help_hint():
    client = FakeClient()
    req = MessageRequest("C0REVIEW", "1.0", None, "U0CM", "<@U0BOT> ?", by_bot=False, subtype=None)
    asyncio.run(events.on_mention(req, client))
    (note,) = client.said("chat.postEphemeral")
    assert note["user"] == "U0CM" and "/sowana help" in note["text"]
