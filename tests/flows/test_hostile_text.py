"""Comments whose text and author name try to ping the team or hide a link, through the whole product and
the local Slack workspace: the review message and its notification text, the SAC card, the thread lines,
the modals, the ephemeral notes, the follow-ups, the publishing failure, the slash-command answers, the
digest, the bad-buzz alert and the storm summary. The workspace records every Web API call and every
response_url post Sowana makes; none carries a live `<…>` sequence but Sowana's own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.blocks.storm import HIDE_ALL
from bot.brain import Brain
from bot.comments.publisher import PublishError
from bot.models import Comment
from tests.bot.test_slack_manifest import METHOD_SCOPES, manifest
from tests.flows.conftest import (
    CM,
    GUEST,
    PERSONAS,
    REVIEW,
    SAC,
    SAC_AGENT,
    Flow,
    action_ids,
    button_value,
    run_flow,
    simple_drafter,
)
from tests.insights.rows import add_comment

PINGS = ("<!channel>", "<!here>", "<!everyone>", "<@U0BOSS>", "<#C0GENERAL>", "<!subteam^S0ALL>")
FAKE_LINK = "<https://evil.example|votre remboursement>"
HOSTILE = "Remboursez-moi ! " + " ".join(PINGS) + f" {FAKE_LINK} & merci"
NAME = f"<!channel> Julie <@U0BOSS> {FAKE_LINK}"
TOPIC = "<!channel> <@U0BOSS> <https://evil.example|remboursement>"  # what a model might call the topic

# Sowana's own sequences: the team's ids, its channels, links with its own labels; <!here> only in SLA notices.
TEAM = {f"<@{u}>" for u in (CM, SAC_AGENT, GUEST)} | {f"<#{c}>" for c in (REVIEW, SAC)}
OWN_LINK = re.compile(
    r"<https?://[^\s<>|]+\|(?:Facebook|Instagram|X|Web|voir la réponse · see the reply|fil de revue · review thread"
    r"|Voir tous les commentaires · See them all|tableau de bord · dashboard)>"
)
SEQUENCE = re.compile(r"<[^<>]*>")


def classify(comment: Comment) -> tuple[dict[str, Any], str]:
    """Stands in for triage, and answers like a model that read the comment: its values are hostile too."""
    order = "commande" in comment.text
    return {
        "lang": "fr",
        "intent": "spam" if "promo" in comment.text else "complaint" if order else "question",
        "sentiment": "neg",
        "needs_sac": order,
        "priority": "normal",
        "humor_ok": False,
        "humor_off_reasons": ["<!everyone>"],
        "moderation": "review",
        "moderation_reason": HOSTILE,
        "topics": [TOPIC],
    }, "test"


def strings(payload: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """(key, string) for every string of a call's arguments."""
    if isinstance(payload, dict):
        for k, v in payload.items():
            yield from strings(v, k)
    elif isinstance(payload, list):
        for v in payload:
            yield from strings(v, key)
    elif isinstance(payload, str):
        yield key, payload


def live_sequences(calls: list[dict[str, Any]]) -> list[str]:
    """Every `<…>` Slack would act on that is not Sowana's own, with the method that carried it.

    An input's `initial_value` is the reply being edited: Slack never parses it and hands it back as typed,
    so it stays raw on purpose (checked apart)."""
    wrong = []
    for call in calls:
        for key, text in strings(call["params"]):
            if key == "initial_value":
                continue
            for seq in SEQUENCE.findall(text):
                own = seq in TEAM or OWN_LINK.fullmatch(seq) or (seq == "<!here>" and "SLA" in text)
                if not own:
                    wrong.append(f"{call['method']}.{key}: {seq}")
    return wrong


def sent(calls: list[dict[str, Any]], method: str, needle: str) -> list[str]:
    """All the text of each `method` call that holds `needle`, one string a call."""
    found = []
    for call in calls:
        if call["method"] == method:
            whole = "\n".join(text for _k, text in strings(call["params"]))
            if needle in whole:
                found.append(whole)
    return found


def test_hostile_comments_reach_the_team_as_text_only(database_url, engine):
    now = datetime.now(UTC)
    for minutes in range(6):  # a burst of hostile complaints on one topic: a bad-buzz alert will quote them
        add_comment(
            engine, now - timedelta(minutes=5 + minutes), text=HOSTILE, author=NAME, sentiment="neg", topics=(TOPIC,)
        )
    brain = Brain(classify=classify, drafter=simple_drafter, personas=lambda: PERSONAS)
    with run_flow(database_url, engine, brain=brain, insights_poll_seconds=0.2, digest_time="00:00") as flow:
        question = flow.comment(HOSTILE, author=NAME)
        order = flow.comment(HOSTILE + " — ma commande 3321", author=NAME)  # needs customer service
        review = flow.review_message(question)

        # The edit modal quotes the comment; a guest's click gets an ephemeral refusal; /persona echoes.
        flow.ws.click(CM, REVIEW, review["ts"], "edit_reply", value=button_value(review, "edit_reply"))
        modal = flow.ws.wait_for(lambda: flow.ws.open_view(CM), what="edit modal")
        flow.ws.close_view(CM, modal["id"])
        flow.ws.click(GUEST, REVIEW, review["ts"], "approve_reply", value=button_value(review, "approve_reply"))
        flow.ws.slash(CM, REVIEW, "/persona", HOSTILE)

        # Customer service: card, claim, a note, the resolution, follow-ups in the review thread.
        flow.wait_state(order, "escalated")
        card = flow.ws.wait_for(lambda: _message(flow, SAC, f"Cas #{order}"), what="case card")
        flow.ws.click(SAC_AGENT, SAC, card["ts"], "claim_case", value=str(order))
        flow.ws.click(SAC_AGENT, SAC, card["ts"], "add_case_note", value=str(order))
        note = flow.ws.wait_for(lambda: flow.ws.open_view(SAC_AGENT), what="note modal")
        flow.ws.submit_view(SAC_AGENT, note["id"], {"case_note_text": f"Vu avec {NAME} : {HOSTILE}"})
        flow.ws.wait_for(lambda: _message(flow, SAC, "Vu avec"), what="note on the card")
        flow.ws.click(SAC_AGENT, SAC, card["ts"], "resolve_case", value=str(order))
        resolve = flow.ws.wait_for(lambda: flow.ws.open_view(SAC_AGENT), what="resolve modal")
        flow.ws.submit_view(SAC_AGENT, resolve["id"], {"resolution_note": HOSTILE, "followup_choice": "both"})
        order_review = _message(flow, REVIEW, f"cas #{order}")
        assert order_review is not None
        flow.ws.wait_for(
            lambda: any("approve_reply" in action_ids(m) for m in flow.ws.thread(REVIEW, order_review["ts"])[1:]),
            what="follow-ups",
        )

        # The platform refuses the reply with a message of its own: told in the thread, with a retry.
        flow.publisher.fail_with = PublishError(f"Refusé : {HOSTILE}", retryable=False)
        flow.ws.click(CM, REVIEW, review["ts"], "approve_reply", value=button_value(review, "approve_reply"))
        flow.wait_state(question, "failed")
        flow.ws.wait_for(
            lambda: any("retry_publication" in action_ids(m) for m in flow.ws.thread(REVIEW, review["ts"])[1:]),
            what="failure notice",
        )

        # Slash commands answered through response_url, the digest with its topics, the bad-buzz alert.
        flow.ws.slash(CM, REVIEW, "/sowana", "digest")
        flow.ws.slash(CM, REVIEW, "/sowana", "stats")
        flow.ws.wait_for(lambda: len(flow.ws.calls("response_url")) >= 3, what="slash-command answers")
        flow.ws.wait_for(lambda: _message(flow, REVIEW, "Bad buzz possible"), what="bad-buzz alert")
        flow.ws.wait_for(lambda: _message(flow, REVIEW, "Daily digest"), what="scheduled digest")
        calls = flow.ws.calls()

    assert live_sequences(calls) == []
    # Each kind of message did carry the hostile text, escaped (so the check above saw it).
    shown = "&lt;!channel&gt;"
    for method, needle in [
        ("chat.postMessage", f"cas #{question}"),  # the review message
        ("chat.postMessage", f"Cas #{order}"),  # the SAC card
        ("chat.update", "Vu avec"),  # the card with the SAC's note
        ("chat.postMessage", "a résolu le cas"),  # the follow-ups
        ("chat.postMessage", "La publication a échoué"),  # the failure notice
        ("chat.postMessage", "Bad buzz possible"),
        ("views.open", "Commentaire · comment"),
        ("response_url", "Persona inconnue"),
        ("response_url", "Sujets · top topics"),  # /sowana digest
    ]:
        texts = sent(calls, method, needle)
        assert texts and any(shown in t for t in texts), (method, needle)
    # The notification text of the review message (Slack parses it, and shows it on phones) is escaped.
    posted = [c["params"] for c in calls if c["method"] == "chat.postMessage" and f"cas #{question}" in str(c)]
    assert posted and posted[0]["text"].startswith("Facebook — &lt;!channel&gt; Julie &lt;@U0BOSS&gt;")
    # The reply being edited is handed to the modal as it is: escaping it would publish entities.
    initial = [t for c in calls if c["method"] == "views.open" for k, t in strings(c["params"]) if k == "initial_value"]
    assert any(t.startswith("Bonjour <!channel>,") for t in initial)
    # And every Web API method this run called is one the manifest's scopes allow.
    called = {c["method"] for c in calls} - {"response_url"}
    asked = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert called <= set(METHOD_SCOPES) and all(METHOD_SCOPES[m] <= asked for m in called)


def test_a_storm_summary_shows_hostile_spam_as_text(database_url, engine):
    brain = Brain(classify=classify, drafter=simple_drafter, personas=lambda: PERSONAS)
    paced = {"storm_threshold": 3, "slack_posts_per_second": 0.5, "slack_post_burst": 1}
    with run_flow(database_url, engine, brain=brain, **paced) as flow:
        for i in range(10):
            flow.comment(f"promo {i} {HOSTILE}", author=NAME)
        summary = flow.ws.wait_for(
            lambda: next((m for m in flow.ws.messages(REVIEW) if HIDE_ALL in action_ids(m)), None),
            timeout=60,
            what="storm summary",
        )
        flow.ws.click(CM, REVIEW, summary["ts"], HIDE_ALL, value=button_value(summary, HIDE_ALL))
        flow.ws.wait_for(lambda: "Tous masqués" in str(flow.message(summary["ts"])["blocks"]), what="hidden")
        calls = flow.ws.calls()
    assert live_sequences(calls) == []
    assert sent(calls, "chat.postMessage", "> *&lt;!channel&gt; Julie &lt;@U0BOSS&gt;")  # the samples, as text
    assert any("<@U0CM>" in t for t in sent(calls, "chat.update", "Tous masqués"))  # Sowana's own mention


def _message(flow: Flow, channel: str, needle: str) -> dict[str, Any] | None:
    return next((m for m in flow.ws.messages(channel) if needle in str(m.get("blocks"))), None)
