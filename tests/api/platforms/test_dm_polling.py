"""X direct messages polled (#24) against the X emulator: a new install takes the latest page only, later
rounds read until the cursor (kept in the database as platform `x-dm`), one poller at a time under the
`x-dms` lease, and X's refusals (rate limit, missing DM permission) end a round, never the loop."""

from __future__ import annotations

import httpx
from sqlalchemy.engine import Engine

from api.platforms.http import RetryPolicy
from api.platforms.polling import DM_CURSOR, DmPoller, MentionsPoller, load_cursor
from tests.api.platforms.conftest import X_BRAND, X_TOKEN

CHLOE = {"id": "8801", "name": "Chloé Gagnon", "username": "chloe_g"}
SAM = {"id": "8802", "name": "Sam Lee", "username": "samlee"}


def dm(xapi: httpx.Client, person: dict[str, str], text: str) -> str:
    return str(xapi.post("/_emulator/dm", json={"from": person, "text": text}).json()["id"])


def poller(engine: Engine, x_only: str) -> DmPoller:
    return DmPoller(
        engine,
        api_url=f"{x_only}/2",
        bearer_token=X_TOKEN,
        accounts=[("default", X_BRAND)],
        policy=RetryPolicy(attempts=2, backoff=0.01, max_wait=1),
    )


def dm_calls(xapi: httpx.Client) -> list[dict[str, object]]:
    return [c for c in xapi.get("/_emulator/calls").json() if c["path"] == "/2/dm_events"]


def test_first_round_takes_the_latest_page_then_resumes_from_the_cursor(
    engine: Engine, x_only: str, xapi: httpx.Client
) -> None:
    for i in range(120):  # a brand's DM history before Sowana
        dm(xapi, SAM, f"old {i}")
    p = poller(engine, x_only)
    [first] = p.poll_once()
    assert first.error is None and (first.fetched, first.messages) == (100, 100)  # not years of DMs
    newest = xapi.get("/_emulator/dm_events").json()[-1]["id"]
    assert load_cursor(engine, "default", X_BRAND, DM_CURSOR) == newest
    assert load_cursor(engine, "default", X_BRAND) is None  # the mentions cursor is another one
    query = dm_calls(xapi)[-1]["query"]
    assert isinstance(query, dict) and query["event_types"] == "MessageCreate" and query["max_results"] == "100"
    assert "dm_conversation_id" in query["dm_event.fields"] and "sender_id" in query["dm_event.fields"]
    p.close()

    dm(xapi, CHLOE, "Ma commande 1234?")
    xapi.post(
        "/2/dm_conversations/with/8801/messages",
        json={"text": "On regarde!"},
        headers={"Authorization": f"Bearer {X_TOKEN}"},
    )
    last = dm(xapi, CHLOE, "Merci")
    restarted = poller(engine, x_only)  # a new process: the cursor comes from the database
    [second] = restarted.poll_once()
    assert second.messages == 2 and second.report.skipped == {"own_message": 1}
    assert load_cursor(engine, "default", X_BRAND, DM_CURSOR) == last
    [nothing] = restarted.poll_once()
    assert nothing.messages == 0 and load_cursor(engine, "default", X_BRAND, DM_CURSOR) == last
    restarted.close()


def test_a_burst_is_read_over_pages_until_the_cursor(engine: Engine, x_only: str, xapi: httpx.Client) -> None:
    dm(xapi, CHLOE, "premier")
    p = poller(engine, x_only)
    p.poll_once()
    for i in range(150):
        dm(xapi, SAM, f"flood {i}")
    [result] = p.poll_once()
    assert result.messages == 150 and len(dm_calls(xapi)) == 3  # first round, then two pages down to the cursor
    assert "pagination_token" in dm_calls(xapi)[-1]["query"]  # type: ignore[operator]
    p.close()


def test_rate_limit_and_missing_permission_end_the_round_not_the_loop(
    engine: Engine, x_only: str, xapi: httpx.Client
) -> None:
    dm(xapi, CHLOE, "allo")
    p = poller(engine, x_only)
    xapi.post("/_emulator/faults", json={"next": [{"status": 429, "reset_in": 600}]})
    [limited] = p.poll_once()
    assert limited.error and "rate limiting" in limited.error and limited.messages == 0
    assert load_cursor(engine, "default", X_BRAND, DM_CURSOR) is None
    xapi.post("/_emulator/faults", json={"next": [{"status": 403}]})
    [forbidden] = p.poll_once()
    assert forbidden.error and "X refused" in forbidden.error
    [healed] = p.poll_once()
    assert healed.error is None and healed.messages == 1
    p.close()


def test_one_dm_poller_at_a_time_beside_the_mentions_poller(engine: Engine, x_only: str, xapi: httpx.Client) -> None:
    first, second = poller(engine, x_only), poller(engine, x_only)
    mentions = MentionsPoller(engine, api_url=f"{x_only}/2", bearer_token=X_TOKEN, accounts=[("default", X_BRAND)])
    assert first.poll_if_leader() is not None
    assert second.poll_if_leader() is None  # one X quota, one cursor
    assert mentions.poll_if_leader() is not None  # its own lease: DMs do not stop mentions
    assert len(dm_calls(xapi)) == 1
    for p in (first, second, mentions):
        p.close()
