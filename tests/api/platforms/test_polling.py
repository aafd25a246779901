"""X mentions polling against the X emulator: since_id kept in the database, resumed after a restart."""

from __future__ import annotations

import time

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.platforms.http import RetryPolicy
from api.platforms.polling import MentionsPoller, load_cursor
from bot.models import Comment
from tests.api.platforms.conftest import X_BRAND, X_TOKEN

CHLOE = {"id": "8801", "name": "Chloé Gagnon", "username": "chloe_g"}
SAM = {"id": "8802", "name": "Sam Lee", "username": "samlee"}


def mention(xapi: httpx.Client, author: dict[str, str], text: str, reply_to: str | None = None) -> str:
    body = {"author": author, "text": text, "deliver": "store", "in_reply_to_tweet_id": reply_to}
    return str(xapi.post("/_emulator/fire", json=body).json()["id"])


def poller(engine: Engine, x_only: str, **kw: object) -> MentionsPoller:
    return MentionsPoller(
        engine,
        api_url=f"{x_only}/2",
        bearer_token=X_TOKEN,
        accounts=[("default", X_BRAND)],
        policy=RetryPolicy(attempts=2, backoff=0.01),
        **kw,  # type: ignore[arg-type]
    )


def texts(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return [c.text for c in s.exec(select(Comment).order_by(Comment.id)).all()]  # type: ignore[arg-type]


def test_poll_resumes_from_since_id_after_a_restart(engine: Engine, x_only: str, xapi: httpx.Client) -> None:
    own = mention(xapi, {"id": X_BRAND, "name": "Panier", "username": "panierboreal"}, "Nouveaux paniers! 🍂")
    mention(xapi, CHLOE, "@panierboreal livrez-vous à Lévis?")
    second = mention(xapi, SAM, "Love these baskets", reply_to=own)  # a reply to the brand is a mention too
    p = poller(engine, x_only)
    [result] = p.poll_once()
    assert result.error is None and result.report.created and len(result.report.created) == 2
    assert sorted(texts(engine)) == sorted(["@panierboreal livrez-vous à Lévis?", "Love these baskets"])
    assert load_cursor(engine, "default", X_BRAND) == second
    with Session(engine) as s:
        reply = s.exec(select(Comment).where(Comment.external_id == second)).one()
    assert (reply.post_id, reply.parent_id, reply.author_name) == (own, own, "Sam Lee")
    p.close()

    third = mention(xapi, CHLOE, "@panierboreal toujours pas de réponse...")
    restarted = poller(engine, x_only)  # a new process: the cursor comes from the database
    [result] = restarted.poll_once()
    assert result.fetched == 1 and result.report.created and load_cursor(engine, "default", X_BRAND) == third
    calls = xapi.get("/_emulator/calls").json()
    assert calls[-1]["query"]["since_id"] == second
    assert calls[-1]["query"]["expansions"] == "author_id"
    assert "conversation_id" in calls[-1]["query"]["tweet.fields"]
    [nothing] = restarted.poll_once()
    assert nothing.fetched == 0 and len(texts(engine)) == 3
    restarted.close()


def test_pages_through_a_burst_and_survives_errors(engine: Engine, x_only: str, xapi: httpx.Client) -> None:
    mention(xapi, CHLOE, "@panierboreal premier")
    p = poller(engine, x_only)
    p.poll_once()
    for i in range(105):
        mention(xapi, SAM, f"@panierboreal flood {i}")
    xapi.post("/_emulator/faults", json={"fail": 2, "status": 503})
    [failed] = p.poll_once()  # both attempts fail: nothing read, cursor unchanged
    assert failed.error and "temporary problem" in failed.error and len(texts(engine)) == 1
    [result] = p.poll_once()
    assert result.fetched == 105 and len(texts(engine)) == 106
    p.close()


def test_background_loop_picks_up_new_mentions(engine: Engine, x_only: str, xapi: httpx.Client) -> None:
    seen: list[int] = []
    p = poller(engine, x_only, interval=0.1, on_created=seen.extend)
    p.start()
    try:
        mention(xapi, CHLOE, "@panierboreal are you open on Monday?")
        deadline = time.monotonic() + 10
        while not seen and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        p.close()
    assert len(seen) == 1 and texts(engine) == ["@panierboreal are you open on Monday?"]


def mention_calls(xapi: httpx.Client) -> int:
    return sum(1 for c in xapi.get("/_emulator/calls").json() if c["path"] == f"/2/users/{X_BRAND}/mentions")


def test_one_poller_at_a_time_taken_over_when_its_process_stops_renewing(
    engine: Engine, x_only: str, xapi: httpx.Client
) -> None:
    """Every process runs a poller; only the lease holder calls X (one quota, one since_id)."""
    first, second = poller(engine, x_only, interval=0.2, lease_seconds=0.3), poller(engine, x_only)
    assert first.poll_if_leader() is not None
    assert second.poll_if_leader() is None
    assert first.poll_if_leader() is not None  # the holder keeps it from round to round
    assert mention_calls(xapi) == 2
    # The holder's process dies (no release): its lease runs out and the other poller takes over, from
    # the stored since_id.
    mention(xapi, CHLOE, "@panierboreal livrez-vous à Magog?")
    deadline = time.monotonic() + 30
    while (taken := second.poll_if_leader()) is None:
        assert time.monotonic() < deadline, "the lease of a dead poller was never taken over"
        time.sleep(0.1)
    assert [r.fetched for r in taken] == [1] and texts(engine) == ["@panierboreal livrez-vous à Magog?"]
    assert first.poll_if_leader() is None


def test_a_poller_stopping_cleanly_hands_over_at_once(engine: Engine, x_only: str, xapi: httpx.Client) -> None:
    first, second = poller(engine, x_only, interval=3600), poller(engine, x_only)
    first.start()
    # Its first round runs at once; then it waits an hour, holding the lease.
    deadline = time.monotonic() + 30
    while mention_calls(xapi) == 0:
        assert time.monotonic() < deadline, "the poller never polled"
        time.sleep(0.05)
    assert second.poll_if_leader() is None
    first.close()  # a clean stop gives the lease up
    assert second.poll_if_leader() is not None
