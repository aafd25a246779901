"""The review workflow as the team lives it: everything through the local Slack workspace over HTTP,
signed like Slack, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session, col, func, select

from bot.comments.publisher import PublishError
from bot.comments.steps import ProposalSpec
from bot.models import Publication, ThreadMessage
from tests.flows.conftest import CM, GUEST, REVIEW, SAC, SAC_AGENT, Flow, action_ids, button_value, run_flow


def test_a_comment_becomes_a_review_message_with_every_action(flow: Flow):
    cid = flow.comment("Bonjour! Livrez-vous à Sherbrooke? 😊")
    msg = flow.review_message(cid)
    ids = action_ids(msg)
    for needed in (
        "approve_reply",
        "edit_reply",
        "escalate_case",
        "hide_comment",
        "redraft",
        "redraft_persona",
        "correct_triage",
    ):
        assert needed in ids
    text = str(msg["blocks"])
    assert "Julie Tremblay" in text and "Livrez-vous à Sherbrooke? 😊" in text
    assert "persona _informatif_" in text and "`zones`" in text
    assert flow.case(cid)["state"] == "posted"


def test_approve_publishes_once_and_updates_the_message_in_place(flow: Flow):
    cid = flow.comment("Do you deliver to Laval on Saturdays?", author="Sarah Kim")
    msg = flow.review_message(cid)
    flow.ws.click(CM, REVIEW, msg["ts"], "approve_reply", value=button_value(msg, "approve_reply"))
    case = flow.wait_state(cid, "published")
    assert flow.publisher.replies == [(case["external_id"], "Bonjour Sarah, merci ! Voici la réponse (informatif).")]
    assert case["decisions"][0]["actor"] == CM and case["decisions"][0]["action"] == "approve"
    assert case["publications"][0]["url"] == "https://example.test/r/1"
    updated = flow.ws.wait_for(lambda: "Publié" in str((m := flow.message(msg["ts"]))["blocks"]) and m)
    assert "<@U0CM>" in str(updated["blocks"]) and "https://example.test/r/1" in str(updated["blocks"])
    assert "approve_reply" not in action_ids(updated)  # buttons gone once decided


def test_edit_opens_a_prefilled_modal_and_publishes_the_edited_text_keeping_both(flow: Flow):
    cid = flow.comment("Est-ce que je peux payer par virement?")
    msg = flow.review_message(cid)
    flow.ws.click(CM, REVIEW, msg["ts"], "edit_reply", value=button_value(msg, "edit_reply"))
    view = flow.ws.wait_for(lambda: flow.ws.open_view(CM))
    assert view["callback_id"] == "edit_reply"
    assert "Bonjour Julie" in str(view["blocks"])
    flow.ws.submit_view(CM, view["id"], {"reply_text": "Oui, par virement Interac. Écrivez-nous en privé 🙂"})
    case = flow.wait_state(cid, "published")
    decision = case["decisions"][0]
    assert decision["action"] == "edit"
    assert decision["original_text"].startswith("Bonjour Julie")
    assert decision["edited_text"] == "Oui, par virement Interac. Écrivez-nous en privé 🙂"
    assert flow.publisher.replies[-1][1] == "Oui, par virement Interac. Écrivez-nous en privé 🙂"


def test_an_empty_edit_is_refused_in_the_modal(flow: Flow):
    cid = flow.comment("Question?")
    msg = flow.review_message(cid)
    flow.ws.click(CM, REVIEW, msg["ts"], "edit_reply", value=button_value(msg, "edit_reply"))
    view = flow.ws.wait_for(lambda: flow.ws.open_view(CM))
    flow.ws.submit_view(CM, view["id"], {"reply_text": "   "})
    errors = flow.ws.wait_for(lambda: flow.ws.view_errors(CM))
    assert "vide" in str(errors)
    assert flow.case(cid)["state"] == "posted" and flow.publisher.replies == []


def test_hide_hides_on_the_platform(flow: Flow):
    cid = flow.comment("GAGNEZ 500$ cliquez ici http://spam.example")
    msg = flow.review_message(cid)
    flow.ws.click(CM, REVIEW, msg["ts"], "hide_comment", value=str(cid))
    flow.wait_state(cid, "hidden")
    flow.ws.wait_for(lambda: flow.publisher.hides)
    assert flow.publisher.hides == [(flow.case(cid)["external_id"], True)]
    flow.ws.wait_for(lambda: "Masqué" in str(flow.message(msg["ts"])["blocks"]))


def test_redraft_with_another_persona_updates_the_same_message(flow: Flow):
    cid = flow.comment("Vos carottes sont incroyables!")
    msg = flow.review_message(cid)
    flow.ws.select(CM, REVIEW, msg["ts"], "redraft_persona", f"{cid}:espiegle")
    updated = flow.ws.wait_for(
        lambda: (
            "persona _espiegle_" in str((m := flow.message(msg["ts"]))["blocks"])
            and "approve_reply" in action_ids(m)
            and m
        )
    )
    assert updated["ts"] == msg["ts"]
    assert len([m for m in flow.ws.messages(REVIEW) if f"cas #{cid}" in str(m.get("blocks"))]) == 1
    case = flow.case(cid)
    assert {p["persona"] for p in case["proposals"] if p["round"] == 2} == {"espiegle"}
    assert case["decisions"][0]["action"] == "redraft"


def test_persona_command_switches_the_next_proposals(flow: Flow):
    flow.ws.slash(CM, REVIEW, "/persona", "list")
    listed = flow.ws.wait_for(lambda: [e for e in flow.ws.ephemerals(CM) if "espiegle" in e.get("text", "")])
    assert "informatif" in listed[0]["text"]
    flow.ws.slash(CM, REVIEW, "/persona", "espiegle")
    flow.ws.wait_for(
        lambda: any(
            "espiegle" in m.get("text", "") and "<@U0CM>" in m.get("text", "") for m in flow.ws.messages(REVIEW)
        )
    )
    cid = flow.comment("Le chou kale, légume ou punition? 😂")
    assert "persona _espiegle_" in str(flow.review_message(cid)["blocks"])
    flow.ws.slash(CM, REVIEW, "/persona", "")
    flow.ws.wait_for(lambda: any("*espiegle*" in e.get("text", "") for e in flow.ws.ephemerals(CM)))
    flow.ws.slash(CM, REVIEW, "/persona", "pirate")
    flow.ws.wait_for(lambda: any("inconnue" in e.get("text", "") for e in flow.ws.ephemerals(CM)))


def test_a_check_mark_reaction_approves_the_first_proposal(flow: Flow):
    cid = flow.comment("Hi! Do you have organic eggs?", author="Dan Wright")
    msg = flow.review_message(cid)
    flow.ws.react(CM, REVIEW, msg["ts"], "white_check_mark")
    case = flow.wait_state(cid, "published")
    assert flow.publisher.replies == [(case["external_id"], "Bonjour Dan, merci ! Voici la réponse (informatif).")]


def test_someone_without_approval_rights_is_refused_and_nothing_happens(flow: Flow):
    cid = flow.comment("Question sur ma commande")
    msg = flow.review_message(cid)
    flow.ws.click(GUEST, REVIEW, msg["ts"], "approve_reply", value=button_value(msg, "approve_reply"))
    flow.ws.react(GUEST, REVIEW, msg["ts"], "white_check_mark")
    flow.ws.click(GUEST, REVIEW, msg["ts"], "hide_comment", value=str(cid))
    refusals = flow.ws.wait_for(
        lambda: len(e := [x for x in flow.ws.ephemerals(GUEST) if "droits" in x["text"]]) >= 3 and e
    )
    assert "not allowed" in refusals[0]["text"]
    assert flow.case(cid)["state"] == "posted" and flow.publisher.replies == [] and flow.publisher.hides == []


def test_twenty_concurrent_approvals_and_a_reaction_publish_exactly_once(flow: Flow):
    cid = flow.comment("Livrez-vous le dimanche?")
    msg = flow.review_message(cid)
    proposal = button_value(msg, "approve_reply")

    def click(i: int) -> None:
        if i == 0:
            flow.ws.react(CM, REVIEW, msg["ts"], "white_check_mark")
        else:
            flow.ws.click(CM if i % 2 else SAC_AGENT, REVIEW, msg["ts"], "approve_reply", value=proposal)

    with ThreadPoolExecutor(max_workers=21) as pool:
        list(pool.map(click, range(21)))
    flow.wait_state(cid, "published")
    flow.ws.wait_for(lambda: flow.publisher.replies)
    import time

    time.sleep(1.0)  # let every straggler land
    assert len(flow.publisher.replies) == 1
    with Session(flow.engine) as s:
        assert (
            s.exec(select(func.count()).select_from(Publication).where(col(Publication.comment_id) == cid)).one() == 1
        )
    told = [e for e in flow.ws.ephemerals(CM) + flow.ws.ephemerals(SAC_AGENT) if "Nothing done" in e["text"]]
    assert told  # the losers were told it was already approved


def test_thread_talk_is_kept_and_never_published(flow: Flow):
    cid = flow.comment("Mon panier est arrivé écrasé")
    msg = flow.review_message(cid)
    flow.ws.post_message(CM, REVIEW, "On lui propose un crédit? @Sami", thread_ts=msg["ts"])
    flow.ws.post_message(SAC_AGENT, REVIEW, "Oui, je m'en occupe", thread_ts=msg["ts"])
    flow.ws.wait_for(lambda: _thread_count(flow, cid) == 2)
    assert flow.publisher.replies == [] and flow.case(cid)["state"] == "posted"


def _thread_count(flow: Flow, cid: int) -> int:
    with Session(flow.engine) as s:
        return s.exec(select(func.count()).select_from(ThreadMessage).where(col(ThreadMessage.comment_id) == cid)).one()


def test_escalate_posts_a_case_card_and_sac_claims_and_resolves_it(flow: Flow):
    cid = flow.comment("Mon panier n'est jamais arrivé, commande 48213")
    msg = flow.review_message(cid)
    flow.ws.click(CM, REVIEW, msg["ts"], "escalate_case", value=str(cid))
    flow.wait_state(cid, "escalated")
    card = flow.ws.wait_for(lambda: next((m for m in flow.ws.messages(SAC) if f"#{cid}" in str(m.get("blocks"))), None))
    assert "resolve_case" in action_ids(card) and "<@U0CM>" in str(card["blocks"])
    flow.ws.wait_for(lambda: any("escaladé" in m.get("text", "") for m in flow.ws.thread(REVIEW, msg["ts"])))
    assert "Premier contact" in str(card["blocks"])  # no earlier comment from this author
    flow.ws.click(SAC_AGENT, SAC, card["ts"], "claim_case", value=str(cid))
    claimed = flow.ws.wait_for(
        lambda: "claimed by <@U0SAC>" in str((m := flow.message(card["ts"], SAC))["blocks"]) and m
    )
    assert "claim_case" not in action_ids(claimed) and "resolve_case" in action_ids(claimed)
    flow.ws.wait_for(lambda: any("s'occupe du cas" in m.get("text", "") for m in flow.ws.thread(REVIEW, msg["ts"])))
    flow.ws.click(SAC_AGENT, SAC, card["ts"], "resolve_case", value=str(cid))
    view = flow.ws.wait_for(lambda: flow.ws.open_view(SAC_AGENT))
    flow.ws.submit_view(SAC_AGENT, view["id"], {"resolution_note": "Panier relivré ce matin, crédit de 10 $ appliqué"})
    flow.wait_state(cid, "resolved")
    flow.ws.wait_for(lambda: any("relivré" in m.get("text", "") for m in flow.ws.thread(REVIEW, msg["ts"])))


def test_a_platform_refusal_is_told_in_the_thread_and_retry_publishes(flow: Flow):
    cid = flow.comment("Do you ship to Gatineau?")
    msg = flow.review_message(cid)
    flow.publisher.fail_with = PublishError("the Facebook page token has expired: reconnect it", retryable=False)
    flow.ws.click(CM, REVIEW, msg["ts"], "approve_reply", value=button_value(msg, "approve_reply"))
    case = flow.wait_state(cid, "failed")
    assert "token has expired" in case["failure_reason"]
    notice = flow.ws.wait_for(
        lambda: next((m for m in flow.ws.thread(REVIEW, msg["ts"]) if "token has expired" in m.get("text", "")), None)
    )
    flow.publisher.fail_with = None
    flow.ws.click(CM, REVIEW, notice["ts"], "retry_publication", value=str(cid))
    flow.wait_state(cid, "published")
    assert len(flow.publisher.replies) == 1


def test_sowana_command_help_stats_and_unknown(flow: Flow):
    flow.comment("Bonjour!")
    flow.ws.slash(CM, REVIEW, "/sowana", "stats")
    flow.ws.wait_for(lambda: any("today" in e.get("text", "") for e in flow.ws.ephemerals(CM)))
    flow.ws.slash(CM, REVIEW, "/sowana", "n'importe quoi")
    flow.ws.wait_for(lambda: any("/persona list" in e.get("text", "") for e in flow.ws.ephemerals(CM)))


def test_triage_correction_from_the_message_is_recorded(flow: Flow):
    cid = flow.comment("lol vous êtes drôles")
    msg = flow.review_message(cid)
    flow.ws.select(CM, REVIEW, msg["ts"], "correct_triage", "intent:banter")
    flow.ws.wait_for(lambda: any("intent = banter" in e.get("text", "") for e in flow.ws.ephemerals(CM)))


def witty_drafter(comment, triage, persona):
    return [
        ProposalSpec(
            text="Le kale, c'est un légume qui a fait de la muscu 💪",
            kind="creative",
            persona="espiegle",
            note="À adapter · To adapt",
        ),
        ProposalSpec(text="Merci pour le sourire!", kind="serious", persona="espiegle"),
    ]


def test_a_brand_can_require_two_distinct_approvers_for_creative_replies(database_url, engine):
    with run_flow(database_url, engine, drafter=witty_drafter, creative_approvals=2) as flow:
        cid = flow.comment("Le kale, légume ou punition? 😂")
        msg = flow.review_message(cid)
        creative = button_value(msg, "approve_reply", 0)
        flow.ws.click(CM, REVIEW, msg["ts"], "approve_reply", value=creative)
        waiting = flow.ws.wait_for(
            lambda: "deuxième approbation" in str((m := flow.message(msg["ts"]))["blocks"]) and m
        )
        assert "<@U0CM>" in str(waiting["blocks"]) and flow.case(cid)["state"] == "posted"
        flow.ws.react(CM, REVIEW, msg["ts"], "white_check_mark")  # the same person again does not count
        flow.ws.wait_for(lambda: any("second person" in e["text"] for e in flow.ws.ephemerals(CM)))
        assert flow.publisher.replies == [] and flow.case(cid)["state"] == "posted"
        flow.ws.click(SAC_AGENT, REVIEW, msg["ts"], "approve_reply", value=creative)
        case = flow.wait_state(cid, "published")
        assert flow.publisher.replies == [(case["external_id"], "Le kale, c'est un légume qui a fait de la muscu 💪")]
        assert [d["action"] for d in case["decisions"]] == ["approve_vote", "approve"]
        # serious replies still need one person
        cid2 = flow.comment("Livrez-vous à Laval?")
        msg2 = flow.review_message(cid2)
        flow.ws.click(CM, REVIEW, msg2["ts"], "approve_reply", value=button_value(msg2, "approve_reply", 1))
        flow.wait_state(cid2, "published")


def test_the_case_card_shows_the_authors_history_with_the_brand(flow: Flow):
    first = flow.comment("Vous livrez à Gatineau?", author="Paul Roy")
    flow.review_message(first)
    # the same author (same platform id) writes again
    r = flow.api.post(
        "/api/comments",
        json={
            "platform": "facebook",
            "external_id": "again-1",
            "author": {"id": flow.case(first)["author"]["id"], "name": "Paul Roy"},
            "text": "Toujours pas de réponse, mon panier est en retard",
        },
    )
    second = r.json()["id"]
    msg = flow.review_message(second)
    flow.ws.react(CM, REVIEW, msg["ts"], "sos")
    card = flow.ws.wait_for(
        lambda: next((m for m in flow.ws.messages(SAC) if f"#{second}" in str(m.get("blocks"))), None)
    )
    assert "Historique" in str(card["blocks"]) and "Vous livrez à Gatineau?" in str(card["blocks"])
