"""The `other` platform records instead of publishing; `publisher_for` picks the connector."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.platforms.generic import GenericPublisher
from api.platforms.meta import MetaPublisher
from api.platforms.registry import Publishers, publisher_for
from api.platforms.x import XPublisher
from bot.comments.ingest import CommentIn, ingest
from bot.comments.publisher import CommentRef
from bot.models import AuditLog
from tests.api.platforms.conftest import make_settings


def test_generic_publisher_records_and_says_so(engine: Engine, database_url: str) -> None:
    comment, _ = ingest(
        engine,
        CommentIn.model_validate(
            {"platform": "other", "external_id": "forum-7", "author": {"id": "u", "name": "Ana"}, "text": "Allô?"}
        ),
    )
    pub = publisher_for("other", make_settings(database_url), engine=engine)
    assert isinstance(pub, GenericPublisher) and pub.records_only
    done = pub.reply(CommentRef("default", "other", "forum-7", "u"), "Bonjour Ana!")
    pub.hide(CommentRef("default", "other", "forum-7", "u"))
    assert done.platform_id.startswith("local-") and done.url is None
    with Session(engine) as s:
        rows = s.exec(select(AuditLog).where(AuditLog.actor == "publisher:other").order_by(AuditLog.id)).all()  # type: ignore[arg-type]
    assert [(r.action, r.comment_id) for r in rows] == [("recorded_reply", comment.id), ("recorded_hide", comment.id)]
    assert rows[0].detail is not None and "post it by hand" in rows[0].detail["note"]


def test_registry_builds_one_publisher_per_platform(engine: Engine, database_url: str) -> None:
    settings = make_settings(database_url, meta_graph_url="http://127.0.0.1:9/v21.0")
    assert isinstance(publisher_for("facebook", settings), MetaPublisher)
    assert isinstance(publisher_for("x", settings), XPublisher)
    pubs = Publishers(settings, engine)
    assert pubs("facebook") is pubs("instagram") and isinstance(pubs("x"), XPublisher)
    assert str(pubs("facebook").client.base_url) == "http://127.0.0.1:9/v21.0/"  # type: ignore[attr-defined]
    pubs.close()
