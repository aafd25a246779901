"""Triage corrections are shared through the database: a correction recorded by one process is learnt
by every process, once each, without a restart (bot.brain.Corrections)."""

from __future__ import annotations

from collections.abc import Callable, Collection

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.brain import Corrections
from bot.comments import decisions
from bot.models import Comment, TriageCorrection
from bot.privacy.erase import Eraser, Person
from tests.bot.rows import posted_comment


class Learner:
    """What a process's triager was taught, in order (the triager itself: tests/scale)."""

    def __init__(self) -> None:
        self.taught: list[tuple[str, dict[str, object]]] = []

    def __call__(self, rows: list[TriageCorrection]) -> None:
        self.taught += [(row.text, dict(row.labels)) for row in rows]


def test_a_correction_recorded_by_one_process_is_learnt_once_by_every_process(engine: Engine) -> None:
    here, there = Learner(), Learner()
    mine, theirs = Corrections(engine, here), Corrections(engine, there)
    assert mine.learn_now() == theirs.learn_now() == 0  # nothing corrected yet at start-up

    comment_id, _ = posted_comment(engine)
    assert decisions.correct_triage(engine, comment_id, "U0CM", "intent", "complaint").ok
    assert mine.learn_now() == 1  # the process that handled the click, at once
    assert theirs.learn_now() == 1  # the other one, at its next look
    assert mine.learn_now() == theirs.learn_now() == 0  # never twice
    text = "Bonjour, ma commande 1234 n'est jamais arrivée, que faire ?"
    assert here.taught == there.taught == [(text, {"intent": "complaint"})]

    # A process started later learns every correction made before it.
    late = Learner()
    Corrections(engine, late).learn_now()
    assert late.taught == here.taught


def test_a_correction_committed_after_a_later_one_is_not_skipped(engine: Engine) -> None:
    """Ids are handed out at insert, rows appear at commit: two corrections recorded at the same moment
    can appear out of order, and the earlier id must still be learnt."""
    comment_id, _ = posted_comment(engine)
    learner = Learner()
    corrections = Corrections(engine, learner)

    def record(row_id: int, intent: str) -> None:
        with Session(engine) as s:
            s.add(
                TriageCorrection(
                    id=row_id,
                    brand="default",
                    comment_id=comment_id,
                    actor="U0CM",
                    text=intent,
                    labels={"intent": intent},
                )
            )
            s.commit()

    record(10, "praise")
    assert corrections.learn_now() == 1
    record(9, "banter")  # its transaction began first, committed last
    assert corrections.learn_now() == 1
    assert [text for text, _ in learner.taught] == ["praise", "banter"]


def test_an_erased_persons_correction_is_forgotten_by_every_process(engine: Engine) -> None:
    """Erasure (bot/privacy) deletes the corrections made on a person's comments: the processes that
    did not handle the erasure forget them too, at their next look, not at their next restart."""
    forgotten: dict[str, list[str]] = {"mine": [], "theirs": []}

    def forget(who: str) -> Callable[[Collection[str]], int]:
        def run(texts: Collection[str]) -> int:
            forgotten[who] += list(texts)
            return len(texts)

        return run

    mine = Corrections(engine, Learner(), forget("mine"))
    theirs = Corrections(engine, Learner(), forget("theirs"))
    erased_id, _ = posted_comment(engine, "c1")
    kept_id, _ = posted_comment(engine, "c2")
    with Session(engine) as s:  # the second comment is another person's
        other = s.get(Comment, kept_id)
        assert other is not None
        other.author_id, other.text = "a2", "Service lent, commande 77 en retard."
        s.add(other)
        s.commit()
    assert decisions.correct_triage(engine, erased_id, "U0CM", "intent", "complaint").ok
    assert decisions.correct_triage(engine, kept_id, "U0CM", "intent", "complaint").ok
    assert mine.learn_now() == theirs.learn_now() == 2

    Eraser(engine).erase_person(Person("default", "facebook", "a1"), actor="test")
    assert mine.learn_now() == theirs.learn_now() == 0
    text = "Bonjour, ma commande 1234 n'est jamais arrivée, que faire ?"
    assert forgotten == {"mine": [text], "theirs": [text]}  # the other person's correction stays learnt
    assert mine.learn_now() == 0 and forgotten["mine"] == [text]  # forgotten once
