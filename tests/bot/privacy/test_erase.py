"""What an erasure could not do is said in its answer: a Slack message the workspace no longer has
(deleted by hand, or Slack away past the client's retries) is counted as `not_done`, the rest is erased."""

from __future__ import annotations

from typing import Any

from api.emulators.slack import RateLimit, WorkspaceConfig
from api.emulators.slack.client import run_workspace
from bot.comments.ingest import CommentIn, ingest
from bot.db import session_scope
from bot.models import Comment, SlackPost
from bot.privacy.erase import Eraser, Person
from bot.slack.review import make_web_client


def test_a_message_slack_no_longer_has_is_counted_as_not_done(engine: Any):
    data = {"platform": "facebook", "external_id": "e1", "author": {"id": "fb-5", "name": "Inès Caron"}}
    comment, _ = ingest(engine, CommentIn.model_validate({**data, "text": "Colis abîmé · damaged parcel"}))
    assert comment.id is not None
    with session_scope(engine, write=True) as s:
        s.add(SlackPost(brand="default", comment_id=comment.id, kind="review", channel="C0REVIEW", ts="1.000001"))
    config = WorkspaceConfig(request_url="http://127.0.0.1:9/slack/events", rate_limit=RateLimit(enabled=False))
    with run_workspace(config) as url:
        settings = config.app_settings(url)
        slack = make_web_client(settings["slack_bot_token"], settings["slack_api_url"])
        counts = Eraser(engine, slack=slack).erase_person(Person("default", "facebook", "fb-5"), actor="test")
    assert counts["comments"] == 1 and counts["slack_messages"] == 0 and counts["not_done"] == 1
    with session_scope(engine) as s:
        row = s.get(Comment, comment.id)
        assert row is not None and row.text == "" and row.author_name == ""


def test_nothing_is_published_drafted_or_escalated_about_an_erased_person(engine: Any):
    from bot.comments.decisions import approve, redraft
    from bot.models import Proposal, State
    from bot.sac.decisions import escalate

    data = {"platform": "instagram", "external_id": "e2", "author": {"id": "ig-8", "name": "Hugo Pelletier"}}
    comment, _ = ingest(engine, CommentIn.model_validate({**data, "text": "Quand rouvrez-vous ? When?"}))
    assert comment.id is not None
    with session_scope(engine, write=True) as s:
        row = s.get(Comment, comment.id)
        assert row is not None
        row.state = State.posted
        proposal = Proposal(brand="default", comment_id=comment.id, text="Lundi, Hugo !", persona="p", kind="serious")
        s.add(row)
        s.add(proposal)
        s.flush()
        proposal_id = proposal.id
    assert proposal_id is not None
    Eraser(engine).erase_person(Person("default", "instagram", "ig-8"), actor="test")
    # A ✅ left on the old review message, a redraft, an escalation: each refused, saying why.
    for outcome in (
        approve(engine, proposal_id, "U0CM", via="reaction"),
        redraft(engine, comment.id, "U0CM"),
        escalate(engine, comment.id, "U0CM"),
    ):
        assert not outcome.ok and "erased at the person's request" in outcome.message
    with session_scope(engine) as s:
        assert s.get(Comment, comment.id).state == State.posted  # type: ignore[union-attr]


def test_comments_erased_by_two_passes_at_once_are_redacted_and_counted_once(engine: Any):
    """A retention pass runs in every process, and a person may be erased from the API and the CLI at
    the same moment: the pass that comes second finds the comments erased and does nothing again."""
    import threading

    from bot.privacy.erase import redact_in

    data = {"platform": "facebook", "external_id": "e3", "author": {"id": "fb-9", "name": "Léa Fortin"}}
    comment, _ = ingest(engine, CommentIn.model_validate({**data, "text": "Livraison oubliée · missed delivery"}))
    assert comment.id is not None
    second: dict[str, int] = {}
    with session_scope(engine, write=True) as s:
        first = redact_in(s, [comment.id])  # its transaction still open while the other pass starts
        other = threading.Thread(
            target=lambda: second.update(
                Eraser(engine).erase_comments("default", [comment.id], actor="retention", action="privacy_retention")
            )
        )
        other.start()
    other.join(timeout=60)
    assert not other.is_alive()
    assert first.counts["comments"] == 1 and first.comment_ids == [comment.id]
    assert second["comments"] == 0 and second["proposals"] == 0
    assert Eraser(engine).erase_comments("default", [comment.id], actor="test", action="privacy_erase")["comments"] == 0
