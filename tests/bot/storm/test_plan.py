"""Storm mode's decisions (pure): when it switches, who is grouped with whom, the summary's actions."""

from __future__ import annotations

from bot.blocks.storm import HIDE_ALL, REPLY_ALL, GroupView, MemberView, summary_message
from bot.storm.plan import Candidate, OpenGroup, impersonal, plan_groups, storm_switch, tokens


def test_storm_switches_on_past_the_threshold_and_off_after_a_calm_spell() -> None:
    assert not storm_switch(False, 50, 50) and storm_switch(False, 51, 50)
    assert storm_switch(True, 30, 50, calm_for=0, cooldown=60)  # above half: still on
    assert storm_switch(True, 10, 50, calm_for=5, cooldown=60)  # calm, but not for long enough
    assert not storm_switch(True, 10, 50, calm_for=61, cooldown=60)
    assert not storm_switch(False, 10_000, 0)  # threshold 0: never


def test_grouping_keeps_urgent_and_distinctive_apart() -> None:
    cands = [
        Candidate(1, "Encore une livraison en retard, inadmissible !", "complaint"),
        Candidate(2, "encore une LIVRAISON en retard inadmissible 😡", "complaint"),
        Candidate(3, "Gagnez un iPhone sur www.promo.biz", "spam"),
        Candidate(4, "Merci, super service", "praise"),
        Candidate(5, "Livrez-vous à Sherbrooke le samedi ?", "question"),
        Candidate(6, "Encore une livraison en retard, inadmissible !", "complaint", priority=0),  # urgent
    ]
    plan = plan_groups(cands, [])
    kinds = {g.key: g.kind for g in plan.new_groups}
    grouped = {job: kinds[key] for key, jobs in plan.joins.items() for job in jobs}
    assert grouped == {1: "similar", 2: "similar", 3: "spam", 4: "praise"}  # 5 distinctive, 6 urgent


def test_new_comments_join_open_groups_until_full() -> None:
    similar = OpenGroup(
        7, "similar", "Votre appli plante encore", size=1, signature=tokens("Votre appli plante encore")
    )
    plan = plan_groups([Candidate(10, "votre appli plante encore!!", "complaint")], [similar])
    assert plan.joins == {7: [10]} and not plan.new_groups
    full = OpenGroup(8, "spam", "x", size=200)
    plan = plan_groups([Candidate(11, "promo", "spam")], [full])
    assert len(plan.new_groups) == 1  # a full group is not joined


def test_summary_offers_the_right_bulk_action_and_shows_what_was_done() -> None:
    members = [MemberView(i, f"Fan {i}", "promo promo", "posted") for i in range(12)]
    _, blocks = summary_message(GroupView(3, "spam", "promo"), members, None)
    assert HIDE_ALL in str(blocks) and "+ 4" in str(blocks) and "#11" in str(blocks)
    _, blocks = summary_message(GroupView(4, "similar", "retard"), members, "Désolés du retard.")
    assert REPLY_ALL in str(blocks) and HIDE_ALL not in str(blocks)
    _, blocks = summary_message(GroupView(4, "similar", "retard", "reply", "U0CM", "Désolés."), members, None)
    assert REPLY_ALL not in str(blocks) and "U0CM" in str(blocks)
    assert impersonal("Bonjour Julie, merci !", "Julie Tremblay") == "Bonjour, merci !"
