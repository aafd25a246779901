"""Direct messages are personal data (#24): a person's erasure takes their Messenger messages too (found
through the conversation a private reply to their Facebook comment began), and the Slack lines that
quote them; their export holds their messages, the replies sent to them and their conversations;
retention redacts old messages and drops the conversation rows left with nothing. Rows are written
with the models, as the messaging ingest stores them. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import select

from api.emulators.slack import RateLimit, WorkspaceConfig
from api.emulators.slack.client import WorkspaceClient, run_workspace
from bot.blocks.privacy import ERASED
from bot.db import session_scope
from bot.models import AuditLog, Comment, Conversation, Publication, SlackOutgoing, SlackPost, State, utcnow
from bot.privacy.erase import Eraser, Person
from bot.privacy.export import export_person
from bot.privacy.retention import retention_pass
from bot.slack.review import make_web_client

REVIEW = "C0REVIEW"
PHOTO = "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=7781"


def _comment(engine: Engine, **fields: Any) -> int:
    values: dict[str, Any] = {
        "brand": "default",
        "platform": "facebook",
        "author_name": "",
        "state": State.posted,
        **fields,
    }
    with session_scope(engine, write=True) as s:
        row = Comment(**values)
        s.add(row)
        s.flush()
        assert row.id is not None
        return row.id


def _conversation(engine: Engine, **fields: Any) -> int:
    with session_scope(engine, write=True) as s:
        row = Conversation(brand="default", platform="facebook", **fields)
        s.add(row)
        s.flush()
        assert row.id is not None
        return row.id


def _reply(engine: Engine, comment_id: int, text: str, target: str = "message") -> None:
    with session_scope(engine, write=True) as s:
        s.add(
            Publication(
                brand="default",
                comment_id=comment_id,
                target=target,
                text=text,
                status="published",
                platform_id=f"m_reply_{comment_id}",
                published_at=utcnow(),
            )
        )


def _people(engine: Engine) -> dict[str, int]:
    """Nadia: a public complaint on Facebook, answered privately; she writes back in Messenger (PSID
    psid-nadia, a photo attached) and is answered there. Omar: a Messenger conversation of his own."""
    complaint = _comment(
        engine,
        external_id="1234_5_1",
        author_id="fb-nadia",
        author_name="Nadia Roy",
        text="Colis perdu, commande BX-4410",
        url="https://www.facebook.com/1234_5_1",
    )
    _reply(engine, complaint, "Nadia, écrivez-nous en privé · message us", target="private_reply")
    _conversation(
        engine, participant_id="psid-nadia", author_id="fb-nadia", anchor_id=complaint, last_inbound_at=utcnow()
    )
    message = _comment(
        engine,
        external_id="m_nadia_1",
        author_id="psid-nadia",
        text="Mon adresse : 12 rue des Érables, Lévis",
        private=True,
        thread_of=complaint,
        attachments=[{"type": "image", "url": PHOTO}],
    )
    _reply(engine, message, "Merci Nadia, le colis repart demain")
    first = _comment(
        engine, external_id="m_omar_1", author_id="psid-omar", text="Vous livrez à Gatineau ?", private=True
    )
    _conversation(engine, participant_id="psid-omar", anchor_id=first, last_inbound_at=utcnow())
    return {"complaint": complaint, "message": message, "omar": first}


def test_erasing_a_facebook_author_erases_their_messenger_messages_their_conversation_and_the_slack_lines(
    engine: Engine,
) -> None:
    ids = _people(engine)
    config = WorkspaceConfig(request_url="http://127.0.0.1:9/slack/events", rate_limit=RateLimit(enabled=False))
    with run_workspace(config) as url, WorkspaceClient(url) as ws:
        settings = config.app_settings(url)
        slack = make_web_client(settings["slack_bot_token"], settings["slack_api_url"])
        review = slack.chat_postMessage(channel=REVIEW, text="Nadia Roy : Colis perdu, commande BX-4410")["ts"]
        # Her Messenger answer, quoted in the complaint's review thread as the sender posts it.
        quoted = slack.chat_postMessage(
            channel=REVIEW, thread_ts=review, text=f"Message privé · private message : 12 rue des Érables <{PHOTO}>"
        )["ts"]
        omar = slack.chat_postMessage(channel=REVIEW, text="Message privé · private message : Gatineau ?")["ts"]
        with session_scope(engine, write=True) as s:
            s.add(SlackPost(brand="default", comment_id=ids["complaint"], channel=REVIEW, ts=review))
            s.add(SlackPost(brand="default", comment_id=ids["omar"], channel=REVIEW, ts=omar))
            s.add(
                SlackOutgoing(
                    brand="default",
                    key=f"message:{ids['message']}",
                    channel=REVIEW,
                    kind="message",
                    comment_id=ids["message"],
                    thread_of=ids["complaint"],
                    text="12 rue des Érables",
                    status="sent",
                    ts=quoted,
                )
            )

        # The request names her public Facebook id only.
        counts = Eraser(engine, slack=slack).erase_person(Person("default", "facebook", "fb-nadia"), actor="test")

        assert counts["comments"] == 2 and counts["conversations"] == 1 and counts["not_done"] == 0
        assert counts["replies"] == 2 and counts["slack_messages"] == 2
        thread = ws.thread(REVIEW, review)
        shown = str(thread)
        assert "Érables" not in shown and "BX-4410" not in shown and PHOTO not in shown and "Nadia" not in shown
        assert all("effacé à la demande" in str(m) and "Erased at the person's request" in str(m) for m in thread)
        assert "Gatineau" in str(ws.messages(REVIEW))  # Omar's conversation is his
    with session_scope(engine) as s:
        message = s.get(Comment, ids["message"])
        assert message is not None and message.erased_at is not None
        assert message.text == "" and message.author_id == "" and message.attachments is None
        assert message.private  # still counted as a message
        left = s.exec(select(Conversation)).all()
        assert [c.participant_id for c in left] == ["psid-omar"]  # nothing left that names her
        replies = s.exec(select(Publication).where(Publication.comment_id == ids["message"])).all()
        assert [r.text for r in replies] == [ERASED]  # the reply that named her
        omar = s.get(Comment, ids["omar"])
        assert omar is not None and omar.text == "Vous livrez à Gatineau ?"
        audit = str([a.detail for a in s.exec(select(AuditLog)).all()])
    assert "psid-nadia" not in audit and "Érables" not in audit
    # Twice is fine; by her Messenger id now finds nothing either.
    again = Eraser(engine).erase_person(Person("default", "facebook", "psid-nadia"), actor="test")
    assert again["comments"] == 0 and again["conversations"] == 0


def test_erasing_by_the_messaging_id_takes_the_public_comments_the_conversation_links(engine: Engine) -> None:
    ids = _people(engine)
    counts = Eraser(engine).erase_person(Person("default", "facebook", "psid-nadia"), actor="test")
    assert counts["comments"] == 2 and counts["conversations"] == 1
    with session_scope(engine) as s:
        complaint = s.get(Comment, ids["complaint"])
        assert complaint is not None and complaint.text == "" and complaint.author_name == ""


def test_the_export_holds_her_messages_marked_private_the_replies_sent_and_her_conversation(engine: Engine) -> None:
    ids = _people(engine)
    doc = export_person(engine, Person("default", "facebook", "fb-nadia"))

    assert "messages privés" in doc["about"] and "private messages" in doc["about"]
    by_id = {c["id"]: c for c in doc["comments"]}
    assert sorted(by_id) == [ids["complaint"], ids["message"]]  # never Omar's
    public, message = by_id[ids["complaint"]], by_id[ids["message"]]
    assert public["private"] is False and message["private"] is True
    assert message["text"] == "Mon adresse : 12 rue des Érables, Lévis"
    assert message["attachments"] == [{"type": "image", "url": PHOTO}]
    assert message["shown_with"] == ids["complaint"]
    assert [(r["kind"], r["text"]) for r in message["replies_sent"]] == [
        ("message", "Merci Nadia, le colis repart demain")
    ]
    assert [r["kind"] for r in public["replies_sent"]] == ["private_reply"]
    [conversation] = doc["conversations"]
    assert conversation["participant_id"] == "psid-nadia" and conversation["author_id"] == "fb-nadia"
    assert conversation["started_from"] == ids["complaint"] and conversation["last_message_at"]
    assert "Gatineau" not in str(doc) and "psid-omar" not in str(doc)
    # The same person asked by their Messenger id gets the same document.
    same = export_person(engine, Person("default", "facebook", "psid-nadia"))
    assert [c["id"] for c in same["comments"]] == [ids["complaint"], ids["message"]]


def test_retention_redacts_old_messages_and_drops_the_conversations_left_with_nothing(engine: Engine) -> None:
    old, recent = utcnow() - timedelta(days=40), utcnow() - timedelta(days=2)
    # Léo's conversation is over a month quiet; Zoé's old message has a recent answer after it.
    leo = _comment(
        engine,
        external_id="m_leo",
        author_id="psid-leo",
        text="Remboursement ?",
        private=True,
        received_at=old,
        attachments=[{"type": "file", "url": "https://cdn.fbsbx.com/v/leo.pdf"}],
    )
    _conversation(engine, participant_id="psid-leo", anchor_id=leo, last_inbound_at=old, created_at=old, updated_at=old)
    zoe_old = _comment(
        engine, external_id="m_zoe_1", author_id="psid-zoe", text="Bonjour", private=True, received_at=old
    )
    _comment(
        engine,
        external_id="m_zoe_2",
        author_id="psid-zoe",
        text="Toujours rien reçu",
        private=True,
        received_at=recent,
        thread_of=zoe_old,
    )
    _conversation(
        engine, participant_id="psid-zoe", anchor_id=zoe_old, last_inbound_at=recent, created_at=old, updated_at=recent
    )

    done = retention_pass(Eraser(engine), lambda brand: 30, utcnow())

    assert done == {"default": 2}  # Léo's message and Zoé's first one
    with session_scope(engine) as s:
        row = s.get(Comment, leo)
        assert row is not None and row.text == "" and row.author_id == "" and row.attachments is None
        assert [c.participant_id for c in s.exec(select(Conversation)).all()] == ["psid-zoe"]
        kept = s.exec(select(Comment).where(Comment.external_id == "m_zoe_2")).one()
        assert kept.text == "Toujours rien reçu"
        audit = [a.detail for a in s.exec(select(AuditLog).where(AuditLog.action == "privacy_retention")).all()]
    assert any((d or {}).get("counts", {}).get("conversations") == 1 for d in audit)
    # The next day: nothing more to do.
    assert retention_pass(Eraser(engine), lambda brand: 30, utcnow()) == {}
    with session_scope(engine) as s:
        assert len(s.exec(select(Conversation)).all()) == 1
