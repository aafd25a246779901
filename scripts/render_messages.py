"""Render every Slack message kind (the bot/blocks builders and the plain-text replies) with fixed
inputs and print them as one JSON document, so a refactor can prove it changed no message byte:

    python3 -m uv run python scripts/render_messages.py > /tmp/before.json
    ... move things ...
    python3 -m uv run python scripts/render_messages.py | diff /tmp/before.json -

The inputs are the hostile scenarios of tests/bot/blocks/test_hostile_blocks.py (every field a person
or a platform can fill holds text Slack would parse), plus a calm case, so both the escaping paths and
the ordinary ones are rendered."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.blocks import alerts, digest, modals, review, sac, storm  # noqa: E402
from bot.comments.stats import DayStats, render_stats  # noqa: E402
from bot.insights.digest import Digest, Reply  # noqa: E402
from bot.models import State  # noqa: E402
from bot.sla import ClockState  # noqa: E402
from tests.bot.blocks import test_hostile_blocks as h  # noqa: E402

out: dict[str, Any] = {}


def render(name: str, builder: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    assert name not in out, name
    out[name] = builder(*args, **kwargs)


def calm(state: str, **kw: Any) -> Any:
    """The hostile case with ordinary words in every outside field."""
    case = h.hostile_case(state, **kw)
    case.comment.author_name = "Julie"
    case.comment.text = "Bonjour, où en est ma commande ?"
    case.comment.url = "https://www.facebook.com/c/1"
    for p in case.proposals + case.followups:
        p.text, p.note = "Bonjour Julie, nous regardons.", None
    return case


def main() -> None:
    for state in State:
        render(f"review/{state.value}", review.review_message, h.hostile_case(state.value), personas=["a", "<!b>"])
        render(f"review/calm/{state.value}", review.review_message, calm(state.value), personas=["informatif"])
        render(f"outcome/{state.value}", review.outcome_line, h.hostile_case(state.value))
    render("triage_chips", review.triage_chips, h.hostile_case(State.proposed).triage)
    deleted = h.hostile_case(State.posted)
    deleted.comment.deleted_at = h.NOW
    render("review/deleted", review.review_message, deleted)
    render("failure_notice", review.failure_notice, 42, h.HOSTILE)

    clocks = [h.clock("first_response", ClockState.stopped), h.clock("resolution", ClockState.ok)]
    line = sac.clock_line(clocks, "America/Montreal")
    render("sac/clock_line", lambda: line)
    link = "https://sowana.slack.com/archives/C0REVIEW/p1?thread_ts=1&cid=C0REVIEW"
    for status in ("open", "claimed", "resolved", "closed"):
        for auto in (False, True):
            case = h.hostile_case(State.escalated, status=status, auto=auto)
            render(f"sac/card/{status}/{auto}", sac.sac_card, case, link, h.HISTORY, line)
            render(f"sac/card/calm/{status}/{auto}", sac.sac_card, calm(State.escalated, status=status), link, [], line)
    render("sac/history", sac.history_line, h.HISTORY)
    esc = h.hostile_case(State.escalated).escalation
    assert esc is not None
    render("sac/escalated", sac.escalated_line, esc, "C0SAC")
    render("sac/claimed", sac.claimed_line, "U0SAC")
    for state in (ClockState.at_risk, ClockState.breached):
        for name in ("first_response", "resolution"):
            esc.owner = None
            render(f"sac/clock/{name}/{state}/nobody", sac.clock_notice, h.clock(name, state), esc, None)
            esc.owner = "U0SAC"
            render(f"sac/clock/{name}/{state}/lead", sac.clock_notice, h.clock(name, state), esc, "S0LEAD")
    for status in ("resolved", "closed"):
        render(f"sac/followups/{status}", sac.followup_message, h.hostile_case(State.resolved, status=status))
        render(f"sac/followups/calm/{status}", sac.followup_message, calm(State.resolved, status=status))

    examples = [alerts.Example(text=h.HOSTILE, author=h.NAME, platform="facebook", url=h.HOSTILE_URL)] * 3
    render(
        "alerts/buzz",
        alerts.buzz_alert_message,
        brand="default",
        topic="livraison",
        count=9,
        window_minutes=60,
        baseline=1.25,
        examples=examples,
        link="https://sowana.example/dashboard?brand=default",
    )
    render(
        "alerts/normal",
        alerts.back_to_normal_message,
        brand="default",
        topic="livraison",
        opened_at=h.NOW,
        closed_at=h.NOW,
        peak=9,
        current=1,
        window_minutes=60,
    )

    d = Digest(brand="default", day="2026-03-02", start=h.NOW, end=h.NOW, received=5, replies_published=2, handled=2)
    d.by_platform.update({"facebook": 3, "x": 2})
    d.by_intent.update({"complaint": 2, "question": 3})
    d.by_sentiment.update({"neg": 5})
    d.top_topics = [("livraison", 3)]
    d.decisions.update({"approve": 2})
    d.first_response = h.DayClock(count=2, median_minutes=30, p90_minutes=50, within_target=1, target_minutes=60)
    d.best = [Reply(1, 42, "facebook", h.HOSTILE, h.HOSTILE_URL, h.NOW, likes=30)]
    render("digest", digest.digest_message, d, "https://sowana.example/dashboard")
    render("digest/empty", digest.digest_message, Digest(brand="default", day="2026-03-02", start=h.NOW, end=h.NOW))
    render("digest/clock_line", digest.clock_line, "first", d.first_response)

    render("modal/edit", modals.edit_modal, 7, "Bonjour", h.HOSTILE, "x", "C0REVIEW")
    render("modal/resolve", modals.resolve_modal, 42, h.HOSTILE, "facebook")
    render("modal/note", modals.case_note_modal, 42, h.HOSTILE)

    for kind in ("spam", "praise", "similar"):
        for action in (None, "hide", "reply"):
            group = storm.GroupView(5, kind, h.HOSTILE, action=action, action_by="U0CM", reply_text="Merci !")
            members = [storm.MemberView(i, h.NAME, h.HOSTILE, "posted") for i in range(12)]
            render(f"storm/summary/{kind}/{action}", storm.summary_message, group, members, "Merci !")
    for on in (True, False):
        render(f"storm/notice/{on}", storm.storm_notice, on, 80, 50)
    render("storm/modal", storm.edit_reply_modal, 5, h.HOSTILE, 12)

    stats = DayStats(received=12, published=4, response_minutes_median=12.5, response_minutes_p90=40.0)
    stats.by_state.update({"posted": 5, "published": 4})
    stats.by_platform.update({"facebook": 8, "x": 4})
    stats.cases_open, stats.cases_today, stats.first_response_median_s, stats.breaches = 2, 3, 900.0, 1
    render("stats", render_stats, stats)
    render("stats/empty", render_stats, DayStats())

    json.dump(out, sys.stdout, ensure_ascii=False, indent=1, sort_keys=True, default=repr)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
