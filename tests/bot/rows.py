"""Rows the bot's unit tests start from: a comment in front of the team with its proposals (our own
example sentences, no real comment text)."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.comments.ingest import CommentIn, ingest
from bot.comments.lifecycle import transition
from bot.models import Comment, Proposal, State


def posted_comment(
    engine: Engine, external_id: str = "c1", *, kinds: tuple[str, ...] = ("serious",), brand: str = "default"
) -> tuple[int, list[int]]:
    """A comment whose review message is in Slack (`posted`), with one proposal per kind; (id, proposal ids)."""
    comment, _ = ingest(
        engine,
        CommentIn.model_validate(
            {
                "platform": "facebook",
                "brand": brand,
                "external_id": external_id,
                "author": {"id": "a1", "name": "Julie Tremblay"},
                "text": "Bonjour, ma commande 1234 n'est jamais arrivée, que faire ?",
            }
        ),
    )
    assert comment.id is not None
    for state in (State.triaged, State.proposed, State.posted):
        transition(engine, comment.id, state, actor="test")
    ids = []
    with Session(engine) as s:
        for kind in kinds:
            p = Proposal(
                brand=brand,
                comment_id=comment.id,
                text=f"Bonjour Julie, réponse {kind}.",
                persona="informatif",
                kind=kind,
            )
            s.add(p)
            s.commit()
            assert p.id is not None
            ids.append(p.id)
    return comment.id, ids


def state_of(engine: Engine, comment_id: int) -> str:
    with Session(engine) as s:
        comment = s.get(Comment, comment_id)
        assert comment is not None
        return comment.state
