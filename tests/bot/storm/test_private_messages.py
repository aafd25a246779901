"""Storm mode never groups a direct message (#24): each is one person's private conversation and keeps
its own review message, however much it looks like the others — in the plan, and in the database."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from bot.db import session_scope
from bot.models import Comment, SlackOutgoing, State, TriageRecord
from bot.storm.keeper import group_waiting
from bot.storm.plan import Candidate, plan_groups

PROMO = "Gagnez un iPhone sur www.promo.biz"


def test_the_plan_never_puts_a_direct_message_in_a_group() -> None:
    cands = [
        Candidate(1, PROMO, "spam"),
        Candidate(2, PROMO, "spam", private=True),
        Candidate(3, "Merci, super service", "praise", private=True),
        Candidate(4, "Encore une livraison en retard, inadmissible !", "complaint"),
        Candidate(5, "Encore une livraison en retard, inadmissible !", "complaint", private=True),
        Candidate(6, "Merci, super service", "praise"),
    ]
    plan = plan_groups(cands, [])
    grouped = sorted(job for jobs in plan.joins.values() for job in jobs)
    assert grouped == [1, 6]  # 4 has no public twin left: alone, as it would be without the messages


def _waiting(engine: Any, n: int, *, private: bool) -> list[int]:
    jobs = []
    with session_scope(engine, write=True) as s:
        for i in range(n):
            kind = "m" if private else "c"
            comment = Comment(
                brand="default",
                platform="facebook",
                external_id=f"{kind}{i}",
                author_id=f"{kind}-{i}",
                author_name="",
                text=f"{PROMO} {i}",
                state=State.triaged,
                private=private,
            )
            s.add(comment)
            s.flush()
            assert comment.id is not None
            s.add(TriageRecord(brand="default", comment_id=comment.id, status="triaged", result={"intent": "spam"}))
            job = SlackOutgoing(
                brand="default", key=f"review:{comment.id}", channel="C0REVIEW", kind="review", comment_id=comment.id
            )
            s.add(job)
            s.flush()
            assert job.id is not None
            jobs.append(job.id)
    return jobs


def test_a_storm_groups_the_public_spam_and_leaves_each_direct_message_its_own_review(engine: Any) -> None:
    public = _waiting(engine, 4, private=False)
    private = _waiting(engine, 3, private=True)
    with session_scope(engine, write=True) as s:
        assert group_waiting(s, "C0REVIEW", "default", 100) == 4
    with session_scope(engine) as s:
        rows = {j.id: j for j in s.exec(select(SlackOutgoing).where(SlackOutgoing.kind == "review")).all()}
    assert {rows[j].status for j in public} == {"grouped"}
    assert all(rows[j].status == "pending" and rows[j].group_id is None for j in private)
