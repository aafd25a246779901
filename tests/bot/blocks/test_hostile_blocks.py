"""Every Block Kit builder, fed hostile outside text in every field a comment, an author, a model, a
platform or a person can fill: what it returns carries no `<…>` sequence but Sowana's own (mentions of
the team's ids, links to http(s) URLs with Sowana's labels), and the hostile text is there, escaped.

A builder added to bot/blocks without a scenario here fails `test_every_builder_is_driven`."""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.blocks import alerts, digest, modals, review, sac, storm
from bot.blocks.text import SlackText
from bot.comments.casefile import Case, HistoryItem
from bot.comments.decisions import VOTE
from bot.comments.window import Window
from bot.insights.digest import Clock as DayClock
from bot.insights.digest import Digest, Reply
from bot.models import Comment, Decision, Escalation, Proposal, Publication, State, TriageRecord
from bot.sla import Clock, ClockState

# What a hostile author, comment, model answer or platform error may hold.
PINGS = ("<!channel>", "<!here>", "<!everyone>", "<@U0BOSS>", "<#C0GENERAL>", "<!subteam^S0ALL>")
FAKE_LINK = "<https://evil.example|votre remboursement>"
HOSTILE = "Remboursez-moi ! " + " ".join(PINGS) + f" {FAKE_LINK} & merci"
NAME = f"<!channel> Julie <@U0BOSS> {FAKE_LINK}"
HOSTILE_URL = "https://evil.example/p?x=1|<!channel>> <@U0BOSS>"
NOW = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)

# Sowana's own sequences in these scenarios: the team's ids and links with Sowana's labels.
TEAM = {"<@U0CM>", "<@U0SAC>", "<#C0SAC>", "<!subteam^S0LEAD>"}
LABELS = (
    "Facebook",
    "Instagram",
    "X",
    "Web",
    "voir la réponse · see the reply",
    "fil de revue · review thread",
    "Voir tous les commentaires · See them all",
    "tableau de bord · dashboard",
    "ouvrir · open",
)
OWN_LINK = re.compile(r"<https?://[^\s<>|]+\|(?:" + "|".join(re.escape(label) for label in LABELS) + r")>")
SEQUENCE = re.compile(r"<[^<>]*>")


# Not text Slack reads: an input's `initial_value` is the reply being edited (never parsed, handed back as
# typed, so it must stay raw); a button's or option's `value` comes back in the click, never shown.
UNREAD = {"initial_value", "value"}


def strings(payload: Any, key: str = "") -> list[str]:
    """Every string Slack would read in a payload."""
    if isinstance(payload, dict):
        return [s for k, v in payload.items() if k not in UNREAD for s in strings(v, k)]
    if isinstance(payload, list | tuple):
        return [s for v in payload for s in strings(v, key)]
    return [payload] if isinstance(payload, str) else []


def check(built: Any, *, here: bool = False, shows_outside: bool = True) -> str:
    """Assert no live sequence but Sowana's own; returns everything as one string for further checks."""
    found = strings(built)
    whole = "\n".join(found)
    for sequence in SEQUENCE.findall(whole):
        ok = sequence in TEAM or OWN_LINK.fullmatch(sequence) or (here and sequence == "<!here>")
        assert ok, f"live sequence {sequence!r} in {whole[:400]!r}"
    if shows_outside:
        assert "&lt;" in whole, "the hostile text is not shown (escaped)"
    for text in found:  # the entities are whole: nothing half-cut that Slack would show as a stray `&`
        assert not re.search(r"&(?!amp;|lt;|gt;)", OWN_LINK.sub("", text)), text
    return whole


def drive(builder: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Calls a builder (and marks it as driven, for test_every_builder_is_driven)."""
    return builder(*args, **kwargs)


# --- a case where everything outside is hostile ------------------------------------------------------


def hostile_case(state: str, *, owner: str | None = "U0SAC", status: str = "open", auto: bool = False) -> Case:
    comment = Comment(
        id=42,
        brand="default",
        platform="facebook",
        external_id="x1",
        author_id="a1",
        author_name=NAME,
        text=HOSTILE + "\n> deuxième ligne <!here>",
        url=HOSTILE_URL,
        state=state,
        failure_reason=f"Meta a refusé : {HOSTILE}",
        parent_id="p1",
        edited_at=NOW,
    )
    triage = TriageRecord(
        brand="default",
        comment_id=42,
        status="triaged",
        result={
            "lang": "<!channel>",
            "intent": "<@U0BOSS>",
            "sentiment": FAKE_LINK,
            "priority": "<!here>",
            "humor_ok": False,
            "humor_off_reasons": ["<!everyone>", FAKE_LINK],
            "needs_sac": True,
            "moderation": "<#C0GENERAL>",
            "moderation_reason": HOSTILE,
            "topics": ["<!subteam^S0ALL>"],
        },
    )
    proposals = [
        Proposal(
            id=7,
            brand="default",
            comment_id=42,
            text=f"Bonjour {NAME}, {HOSTILE}",
            persona="<!channel>",
            kind="creative",
            variant="alternative",
            note=HOSTILE,
            cited_ids=["<@U0BOSS>", FAKE_LINK],
        ),
        Proposal(id=8, brand="default", comment_id=42, text="Bonjour Julie", persona="informatif", kind="serious"),
    ]
    followups = [
        Proposal(
            id=9,
            brand="default",
            comment_id=42,
            text=f"Bonne nouvelle {NAME} : {HOSTILE}",
            persona="sac",
            kind="serious",
            variant="followup",
            target="public_reply",
            note=HOSTILE,
        ),
        Proposal(
            id=10,
            brand="default",
            comment_id=42,
            text=HOSTILE,
            persona="sac",
            kind="serious",
            variant="followup",
            target="private_reply",
        ),
    ]
    decisions = [
        Decision(brand="default", comment_id=42, proposal_id=7, actor="U0CM", action=VOTE, created_at=NOW),
        Decision(brand="default", comment_id=42, proposal_id=7, actor="<!channel>", action=VOTE, created_at=NOW),
        Decision(brand="default", comment_id=42, actor="<!here>", action="escalate", created_at=NOW),
        Decision(brand="default", comment_id=42, actor="U0CM", action="edit", created_at=NOW),
        Decision(brand="default", comment_id=42, actor="<@U0BOSS>", action="hide", created_at=NOW),
    ]
    publications = [
        Publication(
            id=1,
            brand="default",
            comment_id=42,
            proposal_id=8,
            text=HOSTILE,
            status="published",
            platform_id="fb-1",
            url="https://www.facebook.com/reply/1",
            published_at=NOW,
            requested_by="U0CM",
        ),
        Publication(
            id=2,
            brand="default",
            comment_id=42,
            proposal_id=9,
            stage="followup",
            text=HOSTILE,
            status="failed",
            last_error=HOSTILE,
            url=HOSTILE_URL,
            requested_by="<!channel>",
        ),
        Publication(
            id=3,
            brand="default",
            comment_id=42,
            proposal_id=10,
            stage="followup",
            target="private_reply",
            text="autre",
            status="pending",
            requested_by="U0SAC",
        ),
    ]
    escalation = Escalation(
        brand="default",
        comment_id=42,
        status=status,
        requested_by="U0CM",
        auto=auto,
        urgent=True,
        owner=owner,
        note=HOSTILE,
        resolution_note=HOSTILE,
        followup="both",
    )
    return Case(
        comment=comment,
        triage=triage,
        proposals=proposals,
        followups=followups,
        decisions=decisions,
        publications=publications,
        escalation=escalation,
    )


HISTORY = [HistoryItem(comment_id=i, when=NOW - timedelta(days=i), text=HOSTILE, state="<!here>") for i in range(7)]


def clock(name: str, state: ClockState) -> Clock:
    return Clock(name=name, budget=3600, elapsed=4000, state=state, due=NOW, at_risk_from=NOW)


# --- the scenarios ----------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [s.value for s in State])
def test_the_review_message_and_its_fallback_text(state):
    text, blocks = drive(review.review_message, hostile_case(state), personas=["informatif", "<!channel>"])
    assert isinstance(text, SlackText)
    check(text)  # the notification text: Slack parses it like any message text
    check(blocks)
    outcome = drive(review.outcome_line, hostile_case(state))
    if outcome is not None:
        check(outcome, shows_outside=state == State.failed)
    check(drive(review.triage_chips, hostile_case(state).triage))


@pytest.mark.parametrize("state", [State.posted, State.published])
def test_a_direct_message_with_hostile_attachments(state):
    """A direct message (#24): its attachments are links with Sowana's label (a hostile URL is not linked),
    the window line and the card line carry the person's text escaped."""
    case = hostile_case(state)
    case.comment.private, case.comment.thread_of = True, 41
    case.comment.attachments = [
        {"type": "image", "url": "https://cdn.example/photo.jpg"},
        {"type": "<!channel>", "url": HOSTILE_URL},
        {"type": "file", "url": None},
    ]
    case.window = Window(NOW + timedelta(hours=3))
    text, blocks = drive(review.review_message, case, personas=["informatif"], now=NOW)
    check(text)
    whole = check(blocks)
    assert ("reply window: 3 h left" in whole) == (state == State.posted)  # answered: no window to watch
    assert "hide_comment" not in str(blocks)
    assert "<https://cdn.example/photo.jpg|ouvrir · open>" in whole
    check(drive(review.attachment_lines, case.comment.attachments), shows_outside=False)
    check(drive(review.private_header, case, NOW), shows_outside=False)
    check(drive(sac.private_message_line, case.comment))


def test_a_deleted_comment_and_a_failed_publication():
    case = hostile_case(State.posted)
    case.comment.deleted_at = NOW
    check(review.review_message(case)[1])
    text, blocks = drive(review.failure_notice, 42, HOSTILE)
    check(text)
    check(blocks)


@pytest.mark.parametrize("status", ["open", "claimed", "resolved", "closed"])
@pytest.mark.parametrize("auto", [False, True])
def test_the_sac_card(status, auto):
    case = hostile_case(State.escalated, status=status, auto=auto)
    clocks = drive(
        sac.clock_line, [clock("first_response", ClockState.stopped), clock("resolution", ClockState.ok)], "UTC"
    )
    link = "https://sowana.slack.com/archives/C0REVIEW/p1?thread_ts=1&cid=C0REVIEW"
    text, blocks = drive(sac.sac_card, case, link, HISTORY, clocks)
    check(text)
    check(blocks)
    check(drive(sac.history_line, HISTORY))
    check(sac.history_line([]), shows_outside=False)


def test_the_lines_told_in_threads():
    esc = hostile_case(State.escalated).escalation
    assert esc is not None
    check(drive(sac.escalated_line, esc, "C0SAC"), shows_outside=False)
    esc.requested_by = NAME  # not a user id: shown as text, never as a mention
    check(drive(sac.escalated_line, esc, "C0SAC> <!channel"))
    check(drive(sac.claimed_line, "<!channel>"))
    check(sac.claimed_line("U0SAC"), shows_outside=False)
    for state in (ClockState.at_risk, ClockState.breached):
        esc.owner = None  # nobody owns it: the channel is called, with Sowana's own <!here>
        check(drive(sac.clock_notice, clock("resolution", state), esc, None), here=True, shows_outside=False)
        esc.owner = "<!channel>"
        check(sac.clock_notice(clock("resolution", state), esc, "S0LEAD> <!channel"))
        check(sac.clock_notice(clock("first_response", state), esc, "S0LEAD"), shows_outside=state != "breached")


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_the_follow_ups(status):
    text, blocks = drive(sac.followup_message, hostile_case(State.resolved, status=status))
    check(text)
    check(blocks)


def test_the_bad_buzz_alert_and_its_end():
    examples = [alerts.Example(text=HOSTILE, author=NAME, platform="<!channel>", url=HOSTILE_URL)] * 3
    examples.append(alerts.Example(text=HOSTILE, author=NAME, platform="facebook", url="javascript:alert(1)"))
    text, blocks = drive(
        alerts.buzz_alert_message,
        brand="<!here>",
        topic=HOSTILE,
        count=9,
        window_minutes=60,
        baseline=1.25,
        examples=examples,
        link="https://sowana.example/dashboard?brand=default&topic=%3C%21channel%3E",
    )
    check(text)
    whole = check(blocks)
    assert "javascript:" not in whole.replace("javascript:alert", "")  # not linked
    text, blocks = drive(
        alerts.back_to_normal_message,
        brand="default",
        topic=HOSTILE,
        opened_at=NOW,
        closed_at=NOW,
        peak=9,
        current=1,
        window_minutes=60,
    )
    check(text)
    check(blocks)


def test_the_daily_digest():
    d = Digest(brand="<!channel>", day="2026-03-02", start=NOW, end=NOW, received=5, replies_published=2, handled=2)
    d.by_platform.update({"facebook": 3, "<!here>": 2})
    d.by_intent.update({"<@U0BOSS>": 2, "question": 3})
    d.by_sentiment.update({"neg": 5})
    d.top_topics = [(HOSTILE, 3), ("livraison", 2)]
    d.decisions.update({"approve": 2})
    d.first_response = DayClock(count=2, median_minutes=30, p90_minutes=50, within_target=1, target_minutes=60)
    d.best = [
        Reply(1, 42, "facebook", HOSTILE, HOSTILE_URL, NOW, likes=30),
        Reply(2, 43, "<!everyone>", HOSTILE, "javascript:alert(1)", NOW, likes=3),
    ]
    text, blocks = drive(digest.digest_message, d, "https://sowana.example/dashboard?brand=%3C%21channel%3E")
    check(text)
    check(blocks)
    check(drive(digest.clock_line, "<!here>", d.first_response))


def test_the_modals():
    edit = drive(modals.edit_modal, 7, f"Bonjour {NAME}", HOSTILE, "x", "C0REVIEW")
    check(edit)
    assert edit["blocks"][1]["element"]["initial_value"] == f"Bonjour {NAME}"  # the reply to edit, as it is
    check(drive(modals.resolve_modal, 42, HOSTILE, "facebook"))
    check(drive(modals.case_note_modal, 42, HOSTILE))


@pytest.mark.parametrize("kind", ["spam", "praise", "similar"])
@pytest.mark.parametrize("action", [None, "hide", "reply"])
def test_the_storm_summary(kind, action):
    group = storm.GroupView(5, kind, HOSTILE, action=action, action_by="<!channel>", reply_text=HOSTILE)
    members = [storm.MemberView(i, NAME, HOSTILE, "posted") for i in range(12)]
    text, blocks = drive(storm.summary_message, group, members, f"Merci {NAME} !")
    check(text, shows_outside=False)  # counts and kinds only
    check(blocks)


def test_the_storm_notices_and_modal():
    for on in (True, False):
        text, blocks = drive(storm.storm_notice, on, 80, 50)
        check(text, shows_outside=False)
        check(blocks, shows_outside=False)
    view = drive(storm.edit_reply_modal, 5, HOSTILE, 12)
    check(view, shows_outside=False)
    assert view["blocks"][1]["element"]["initial_value"] == HOSTILE


def _builders() -> set[str]:
    """Public functions of bot/blocks that make text or a view for Slack."""
    found = set()
    for module in (review, sac, alerts, digest, modals, storm):
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__ or name.startswith("_"):
                continue
            returns = str(inspect.signature(fn).return_annotation)
            if "SlackText" in returns or name.endswith("_modal"):
                found.add(name)
    return found


def test_every_builder_is_driven():
    """Each builder meets hostile text in a scenario above (read from this file: `drive(module.builder, …)`)."""
    tree = ast.parse(Path(__file__).read_text())
    driven = {
        node.args[0].attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "drive"
        and isinstance(node.args[0], ast.Attribute)
    }
    assert _builders() - driven == set()
    assert {"review_message", "sac_card", "summary_message", "digest_message", "buzz_alert_message"} <= _builders()
