"""Insights in the local Slack workspace, through the whole app: the scheduled digest lands once in the
review channel, `/sowana digest` posts today's in the channel, and /metrics shows the work's figures."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from tests.flows.conftest import CM, REVIEW, run_flow
from tests.insights.rows import add_comment


def _digests(flow) -> list[dict]:
    return [m for m in flow.ws.messages(REVIEW) if "Daily digest" in m.get("text", "")]


def test_the_scheduled_digest_lands_once_in_the_review_channel(database_url, engine):
    add_comment(engine, datetime.now(UTC), text="Livrez-vous à Sherbrooke ?")  # earlier today
    with run_flow(database_url, engine, insights_poll_seconds=0.2, digest_time="00:00") as flow:
        digest = flow.ws.wait_for(lambda: _digests(flow), timeout=20, what="the daily digest")[0]
        assert "Bilan du jour · Daily digest" in digest["text"]
        blocks = str(digest["blocks"])
        assert "commentaires reçus · comments received" in blocks and "Facebook *1*" in blocks
        time.sleep(1.0)  # several more rounds of the loop
        assert len(_digests(flow)) == 1


def test_sowana_digest_posts_todays_digest_in_the_channel(database_url, engine):
    with run_flow(database_url, engine) as flow:
        flow.review_message(flow.comment("Mon panier est arrivé en retard"))
        flow.ws.slash(CM, REVIEW, "/sowana", "digest")
        found = flow.ws.wait_for(lambda: _digests(flow), timeout=20, what="the digest")
        assert "commentaires reçus · comments received" in str(found[0]["blocks"])
        flow.ws.slash(CM, REVIEW, "/sowana", "help")
        flow.ws.wait_for(lambda: any("/sowana digest" in e.get("text", "") for e in flow.ws.ephemerals(CM)))
        metrics = flow.api.get("/metrics").text
        for name in (
            "sowana_triage_classes",
            "sowana_slack_queue",
            "sowana_publication_errors",
            "sowana_sla_breaches",
            "sowana_drafting_seconds_count 1.0",
            "sowana_buzz_open",
        ):
            assert name in metrics, name
