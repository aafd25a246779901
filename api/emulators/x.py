"""A local X API v2 (and Account Activity webhooks) for `sowana dev` and the tests.

Serves: `GET /2/users/:id/mentions` (since_id, until_id, max_results, pagination_token,
expansions=author_id, tweet.fields) from the posts fired into it, `POST /2/tweets` (with
`reply.in_reply_to_tweet_id`), `PUT /2/tweets/:id/hidden` (refused outside the brand's own
conversations), `DELETE /2/tweets/:id` (own posts only), and
`POST /2/dm_conversations/with/:participant_id/messages` (403 for a person who does not accept DMs from the
account), `GET /2/dm_events` and `GET /2/dm_conversations/with/:participant_id/dm_events` (newest first:
max_results 1–100, pagination_token, event_types, dm_event.fields, expansions=sender_id with user.fields),
`GET /2/users/me` and `GET /2/users/:id/tweets`
(the account's own posts, newest first: max_results, pagination_token, tweet.fields); errors are problem JSON
(`{"title", "detail", "type", "status"}`), 429 carries `x-rate-limit-*` headers.

Control: `POST /_emulator/fire` ({"text", "author": {"id", "name", "username"}, "in_reply_to_tweet_id"?,
"id"?, "deliver": "webhook" | "store"}; a post by the brand itself starts a conversation it owns),
`POST /_emulator/fire_delete` ({"id"}),
`POST /_emulator/dm` ({"from": {"id", "name", "username"}, "text", "id"?, "created_at"? (ISO), "media_keys"?}:
a person's direct message to the brand, stored for `GET /2/dm_events`; answers {"id", "dm_conversation_id"}),
`POST /_emulator/dm_closed` ({"id", "closed"?: true}: the person does not accept DMs from the brand),
`GET /_emulator/dm_events`, `POST /_emulator/engagement` ({"id", "likes", "replies", "retweets",
"quotes"}: read back by `GET /2/tweets?ids=…&tweet.fields=public_metrics`),
`GET /_emulator/published`, `/calls`, `/tweets`,
`POST /_emulator/faults` ({"fail": N, "status": 500} | {"next": [{"status": 429, "reset_in": 1}]} |
{"expired_token": true} | {"next": [{"kind": "accepted_then_timeout", "delay": 15}]}: the next call is
carried out but answered only after `delay` s, with a 503), `DELETE /_emulator/faults`,
`POST /_emulator/config` ({"webhook_url"}), `POST /_emulator/reset`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.emulators.common import Faults, Record, add_control_routes, deliver, read_body, toggle
from api.platforms.signatures import x_signature

LATE = "accepted_then_timeout"  # a fault kind: carried out, answered too late
TWEET_FIELDS = {"conversation_id", "in_reply_to_user_id", "created_at", "referenced_tweets", "author_id"}
DM_FIELDS = {"dm_conversation_id", "created_at", "sender_id", "attachments", "participant_ids", "referenced_tweets"}
DM_DEFAULT = ("id", "event_type", "text")  # what X answers without dm_event.fields


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"title": title, "detail": detail, "type": "about:blank", "status": status}
    return JSONResponse(body, status_code=status, headers=headers, media_type="application/problem+json")


class XState:
    def __init__(self, consumer_secret: str, bearer_token: str, user_id: str, username: str, webhook_url: str | None):
        self.consumer_secret = consumer_secret
        self.bearer_token = bearer_token
        self.user_id = user_id
        self.username = username
        self.webhook_url = webhook_url
        self.tweets: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, str]] = {user_id: {"id": user_id, "name": username, "username": username}}
        # Likes, replies and shares (retweets + quotes) of posts, set by the tests through the control route.
        self.engagement: dict[str, dict[str, int]] = {}
        self.dm_events: list[dict[str, Any]] = []  # MessageCreate events, in the order they happened
        self.dm_closed: set[str] = set()  # people who do not accept DMs from the brand
        self.faults = Faults()
        self.record = Record()
        self._ids = itertools.count(1_860_000_000_000_000_001)

    def new_id(self) -> str:
        return str(next(self._ids))

    def add_tweet(self, author: dict[str, str], text: str, reply_to: str | None, tweet_id: str | None = None) -> dict:
        tid = tweet_id or self.new_id()
        parent = self.tweets.get(reply_to) if reply_to else None
        tweet: dict[str, Any] = {
            "id": tid,
            "text": text,
            "author_id": author["id"],
            "conversation_id": parent["conversation_id"] if parent else tid,
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "hidden": False,
            "deleted": False,
        }
        if parent:
            tweet["in_reply_to_user_id"] = parent["author_id"]
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": parent["id"]}]
        elif reply_to:  # a reply to a post the emulator never saw: keep the reference anyway
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": reply_to}]
            tweet["conversation_id"] = reply_to
        self.tweets[tid] = tweet
        self.users.setdefault(author["id"], dict(author))
        return tweet

    def conversation_id(self, participant_id: str) -> str:
        a, b = sorted([self.user_id, participant_id], key=lambda v: (len(v), v))  # numerically, as X does
        return f"{a}-{b}"

    def add_dm(self, sender: str, other: str, text: str, event_id: str | None = None, **extra: Any) -> dict[str, Any]:
        event: dict[str, Any] = {
            "id": event_id or self.new_id(),
            "event_type": "MessageCreate",
            "text": text,
            "sender_id": sender,
            "dm_conversation_id": self.conversation_id(other),
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            **extra,
        }
        self.dm_events.append(event)
        return event

    def is_mention(self, tweet: dict[str, Any]) -> bool:
        return tweet["author_id"] != self.user_id and (
            f"@{self.username}".lower() in tweet["text"].lower() or tweet.get("in_reply_to_user_id") == self.user_id
        )


def _v1_tweet(st: XState, tweet: dict[str, Any]) -> dict[str, Any]:
    """The Account Activity (v1.1) shape of a post."""
    user = st.users.get(tweet["author_id"], {"id": tweet["author_id"], "name": "", "username": ""})
    created = datetime.strptime(tweet["created_at"], "%Y-%m-%dT%H:%M:%S.000Z").replace(tzinfo=UTC)
    parent = next((r["id"] for r in tweet.get("referenced_tweets", []) if r["type"] == "replied_to"), None)
    return {
        "created_at": created.strftime("%a %b %d %H:%M:%S +0000 %Y"),
        "id": int(tweet["id"]),
        "id_str": tweet["id"],
        "text": tweet["text"],
        "truncated": False,
        "in_reply_to_status_id_str": parent,
        "in_reply_to_user_id_str": tweet.get("in_reply_to_user_id"),
        "user": {
            "id": int(user["id"]) if user["id"].isdigit() else user["id"],
            "id_str": user["id"],
            "name": user.get("name"),
            "screen_name": user.get("username"),
        },
        "timestamp_ms": str(int(created.timestamp() * 1000)),
    }


def create_x_emulator(
    *,
    consumer_secret: str,
    bearer_token: str,
    user_id: str,
    username: str = "brand",
    webhook_url: str | None = None,
) -> FastAPI:
    st = XState(consumer_secret, bearer_token, user_id, username, webhook_url)
    app = FastAPI(title="X API emulator")
    app.state.emulator = st

    # ---- control -------------------------------------------------------------------------------

    @app.get("/_emulator/tweets")
    def tweets() -> dict[str, dict[str, Any]]:
        return st.tweets

    @app.post("/_emulator/config")
    async def config(request: Request) -> dict[str, Any]:
        body = await read_body(request)
        if "webhook_url" in body:
            st.webhook_url = body["webhook_url"] or None
        return {"webhook_url": st.webhook_url}

    def forget() -> None:
        st.tweets.clear()
        st.engagement.clear()
        st.dm_events.clear()
        st.dm_closed.clear()

    add_control_routes(app, st.record, st.faults, forget)

    async def send_activity(payload: dict[str, Any], forge: bool) -> dict[str, Any]:
        if not st.webhook_url:
            return {"status": None, "error": "no webhook_url configured"}
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        secret = "not-the-consumer-secret" if forge else st.consumer_secret
        return await deliver(
            st.webhook_url, body, {"x-twitter-webhooks-signature": x_signature(secret, body)}, st.record
        )

    @app.post("/_emulator/fire")
    async def fire(request: Request) -> dict[str, Any]:
        body = await read_body(request)
        author = body.get("author") or {"id": "7001", "name": "Test User", "username": "testuser"}
        author = {k: str(v) for k, v in author.items()}
        tweet = st.add_tweet(author, str(body.get("text", "")), body.get("in_reply_to_tweet_id"), body.get("id"))
        outcome: dict[str, Any] = {}
        if body.get("deliver", "webhook") == "webhook":
            payload: dict[str, Any] = {"for_user_id": st.user_id, "tweet_create_events": [_v1_tweet(st, tweet)]}
            if tweet["author_id"] != st.user_id:
                payload["user_has_blocked"] = bool(body.get("user_has_blocked", False))
            outcome = await send_activity(payload, bool(body.get("forge")))
        return {"id": tweet["id"], "conversation_id": tweet["conversation_id"], **outcome}

    @app.post("/_emulator/fire_delete")
    async def fire_delete(request: Request) -> dict[str, Any]:
        body = await read_body(request)
        tid = str(body.get("id"))
        tweet = st.tweets.get(tid)
        if tweet:
            tweet["deleted"] = True
        author = tweet["author_id"] if tweet else "7001"
        payload = {
            "for_user_id": st.user_id,
            "tweet_delete_events": [
                {"status": {"id": tid, "user_id": author}, "timestamp_ms": str(int(time.time() * 1000))}
            ],
        }
        return await send_activity(payload, bool(body.get("forge")))

    @app.post("/_emulator/dm")
    async def person_dm(request: Request) -> JSONResponse:
        body = await read_body(request)
        sender = body.get("from")
        if not isinstance(sender, dict) or not sender.get("id"):
            return JSONResponse({"error": "'from': {'id', 'name', 'username'} is required"}, status_code=400)
        person = {k: str(v) for k, v in sender.items()}
        st.users.setdefault(person["id"], person)
        extra: dict[str, Any] = {}
        if body.get("created_at"):
            extra["created_at"] = str(body["created_at"])
        if body.get("media_keys"):
            extra["attachments"] = {"media_keys": [str(k) for k in body["media_keys"]]}
        event = st.add_dm(person["id"], person["id"], str(body.get("text", "")), body.get("id"), **extra)
        return JSONResponse({"id": event["id"], "dm_conversation_id": event["dm_conversation_id"]})

    @app.post("/_emulator/dm_closed")
    async def dm_closed(request: Request) -> dict[str, Any]:
        return {"dm_closed": toggle(st.dm_closed, await read_body(request), "closed")}

    @app.get("/_emulator/dm_events")
    def dm_events_seen() -> list[dict[str, Any]]:
        return st.dm_events

    # ---- API v2 --------------------------------------------------------------------------------

    def check(request: Request) -> JSONResponse | None:
        auth = request.headers.get("authorization", "")
        if auth != f"Bearer {st.bearer_token}" or st.faults.expired_token:
            return problem(401, "Unauthorized", "Unauthorized")
        spec = st.faults.take()
        if spec is None:
            return None
        status = int(spec.get("status", 500))
        if status == 429:
            reset_at = math.ceil(time.time() + float(spec.get("reset_in", 1)))
            headers = {"x-rate-limit-limit": "300", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset_at)}
            return problem(429, "Too Many Requests", "Too Many Requests", headers)
        if status == 401:
            return problem(401, "Unauthorized", "Unauthorized")
        return problem(status, "Service Unavailable", "Service is temporarily unavailable. Please retry.")

    async def handle(request: Request, run: Callable[[dict[str, Any]], JSONResponse]) -> JSONResponse:
        body = await read_body(request)
        late = st.faults.next.popleft() if st.faults.next and st.faults.next[0].get("kind") == LATE else None
        response = check(request)
        if response is None:
            if body.get("__invalid_json__"):
                response = problem(400, "Invalid Request", "The request body is not valid JSON.")
            else:
                response = run(body)
        st.record.call(request, body, response.status_code)
        if late is not None:  # done; the answer comes after the caller gave up waiting
            await asyncio.sleep(float(late.get("delay", 15.0)))
            return problem(503, "Service Unavailable", "Service is temporarily unavailable. Please retry.")
        return response

    def publish(kind: str, request: Request, target: str | None, body: dict[str, Any], new_id: str | None) -> None:
        st.record.published.append(
            {
                "kind": kind,
                "method": request.method,
                "path": request.url.path,
                "target": target,
                "body": body,
                "id": new_id,
                "at": time.time(),
            }
        )

    @app.get("/2/users/me")
    async def me(request: Request) -> JSONResponse:
        return await handle(request, lambda _body: JSONResponse({"data": dict(st.users[st.user_id])}))

    def tweets_page(q: Any, found: list[dict[str, Any]]) -> JSONResponse:
        """A page of `found` (newest first) as X lists posts: max_results, pagination_token, tweet.fields,
        expansions=author_id."""
        try:
            limit = int(q.get("max_results", "10"))
        except ValueError:
            limit = -1
        if not 5 <= limit <= 100:
            return problem(400, "Invalid Request", "The `max_results` query parameter value is not between 5 and 100")
        token = q.get("pagination_token")
        if token:
            found = [t for t in found if int(t["id"]) < int(token.removeprefix("p"))]
        page, rest = found[:limit], found[limit:]
        if not page:
            return JSONResponse({"meta": {"result_count": 0}})
        fields = set(q.get("tweet.fields", "").split(",")) & TWEET_FIELDS
        data = [
            {"id": t["id"], "text": t["text"], "edit_history_tweet_ids": [t["id"]]}
            | {f: t[f] for f in sorted(fields) if f in t}
            for t in page
        ]
        out: dict[str, Any] = {"data": data}
        if "author_id" in q.get("expansions", "").split(","):
            authors = dict.fromkeys(t["author_id"] for t in page)
            out["includes"] = {"users": [st.users[a] for a in authors if a in st.users]}
        meta: dict[str, Any] = {"result_count": len(page), "newest_id": page[0]["id"], "oldest_id": page[-1]["id"]}
        if rest:
            meta["next_token"] = "p" + page[-1]["id"]
        out["meta"] = meta
        return JSONResponse(out)

    def newest_first(keep: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        return sorted(
            (t for t in st.tweets.values() if not t["deleted"] and keep(t)), key=lambda t: int(t["id"]), reverse=True
        )

    @app.get("/2/users/{uid}/tweets")
    async def timeline(uid: str, request: Request) -> JSONResponse:
        q = request.query_params
        return await handle(request, lambda _body: tweets_page(q, newest_first(lambda t: t["author_id"] == uid)))

    @app.get("/2/users/{uid}/mentions")
    async def mentions(uid: str, request: Request) -> JSONResponse:
        q = request.query_params

        def run(_body: dict[str, Any]) -> JSONResponse:
            found = newest_first(lambda t: uid == st.user_id and st.is_mention(t))
            if q.get("since_id"):
                found = [t for t in found if int(t["id"]) > int(q["since_id"])]
            if q.get("until_id"):
                found = [t for t in found if int(t["id"]) < int(q["until_id"])]
            return tweets_page(q, found)

        return await handle(request, run)

    @app.post("/_emulator/engagement")
    async def set_engagement(request: Request) -> dict[str, Any]:
        """{"id": post id, "likes": N, "replies": N, "retweets": N, "quotes": N}."""
        body = await read_body(request)
        counts = {k: int(body.get(k, 0) or 0) for k in ("likes", "replies", "retweets", "quotes")}
        st.engagement[str(body.get("id"))] = counts
        return counts

    @app.get("/2/tweets")
    async def lookup(request: Request) -> JSONResponse:
        """Post lookup by ids; `tweet.fields=public_metrics` adds the counts."""
        q = request.query_params

        def run(_body: dict[str, Any]) -> JSONResponse:
            ids = [i for i in q.get("ids", "").split(",") if i]
            if not 1 <= len(ids) <= 100:
                return problem(400, "Invalid Request", "The `ids` query parameter value must have 1 to 100 ids")
            data, errors = [], []
            for tid in ids:
                tweet = st.tweets.get(tid)
                if tweet is None or tweet["deleted"]:
                    errors.append(
                        {
                            "value": tid,
                            "detail": f"Could not find tweet with ids: [{tid}].",
                            "title": "Not Found Error",
                            "resource_type": "tweet",
                            "parameter": "ids",
                            "resource_id": tid,
                            "type": "https://api.twitter.com/2/problems/resource-not-found",
                        }
                    )
                    continue
                item: dict[str, Any] = {"id": tid, "text": tweet["text"], "edit_history_tweet_ids": [tid]}
                if "public_metrics" in q.get("tweet.fields", "").split(","):
                    c = st.engagement.get(tid, {})
                    item["public_metrics"] = {
                        "retweet_count": c.get("retweets", 0),
                        "reply_count": c.get("replies", 0),
                        "like_count": c.get("likes", 0),
                        "quote_count": c.get("quotes", 0),
                        "bookmark_count": 0,
                        "impression_count": 0,
                    }
                data.append(item)
            out: dict[str, Any] = {}
            if data:
                out["data"] = data
            if errors:
                out["errors"] = errors
            return JSONResponse(out)

        return await handle(request, run)

    @app.post("/2/tweets")
    async def create_tweet(request: Request) -> JSONResponse:
        def run(body: dict[str, Any]) -> JSONResponse:
            text = body.get("text")
            if not isinstance(text, str) or not text.strip():
                return problem(400, "Invalid Request", "One or more parameters to your request was invalid: text")
            reply = body.get("reply") if isinstance(body.get("reply"), dict) else None
            parent_id = str(reply.get("in_reply_to_tweet_id")) if reply else None
            if parent_id is not None:
                parent = st.tweets.get(parent_id)
                if parent is None or parent["deleted"]:
                    return problem(
                        403, "Forbidden", "You attempted to reply to a Tweet that is deleted or not visible to you."
                    )
            me = st.users[st.user_id]
            tweet = st.add_tweet(me, text, parent_id)
            publish("reply" if parent_id else "post", request, parent_id, body, tweet["id"])
            return JSONResponse(
                {"data": {"id": tweet["id"], "text": text, "edit_history_tweet_ids": [tweet["id"]]}}, 201
            )

        return await handle(request, run)

    @app.put("/2/tweets/{tid}/hidden")
    async def hide(tid: str, request: Request) -> JSONResponse:
        def run(body: dict[str, Any]) -> JSONResponse:
            if not isinstance(body.get("hidden"), bool):
                return problem(400, "Invalid Request", "The `hidden` field must be a boolean")
            tweet = st.tweets.get(tid)
            if tweet is None or tweet["deleted"]:
                return problem(404, "Not Found Error", f"Could not find tweet with id: [{tid}].")
            root = st.tweets.get(tweet["conversation_id"])
            if tweet["conversation_id"] == tid or root is None or root["author_id"] != st.user_id:
                return problem(403, "Forbidden", "You cannot hide or unhide replies to a conversation you do not own.")
            tweet["hidden"] = body["hidden"]
            publish("hide" if body["hidden"] else "unhide", request, tid, body, None)
            return JSONResponse({"data": {"hidden": body["hidden"]}})

        return await handle(request, run)

    @app.delete("/2/tweets/{tid}")
    async def delete_tweet(tid: str, request: Request) -> JSONResponse:
        def run(body: dict[str, Any]) -> JSONResponse:
            tweet = st.tweets.get(tid)
            if tweet is None or tweet["deleted"]:
                return problem(404, "Not Found Error", f"Could not find tweet with id: [{tid}].")
            if tweet["author_id"] != st.user_id:
                return problem(403, "Forbidden", "You are not allowed to delete a Tweet that is not yours.")
            tweet["deleted"] = True
            publish("delete", request, tid, body, None)
            return JSONResponse({"data": {"deleted": True}})

        return await handle(request, run)

    def dm_page(q: Any, found: list[dict[str, Any]]) -> JSONResponse:
        """A page of DM events (newest first) as X lists them."""
        try:
            limit = int(q.get("max_results", "100"))
        except ValueError:
            limit = -1
        if not 1 <= limit <= 100:
            return problem(400, "Invalid Request", "The `max_results` query parameter value is not between 1 and 100")
        types = [t for t in q.get("event_types", "").split(",") if t]
        found = [e for e in found if not types or e["event_type"] in types]
        token = q.get("pagination_token")
        if token:
            found = [e for e in found if int(e["id"]) < int(token.removeprefix("d"))]
        page, rest = found[:limit], found[limit:]
        fields = set(q.get("dm_event.fields", "").split(",")) & DM_FIELDS
        data = [{k: e[k] for k in DM_DEFAULT} | {f: e[f] for f in sorted(fields) if f in e} for e in page]
        out: dict[str, Any] = {"meta": {"result_count": len(page)}}
        if data:
            out["data"] = data
        if "sender_id" in q.get("expansions", "").split(","):
            senders = dict.fromkeys(e["sender_id"] for e in page)
            out["includes"] = {"users": [st.users[u] for u in senders if u in st.users]}
        if rest:
            out["meta"]["next_token"] = "d" + page[-1]["id"]
        return JSONResponse(out)

    def newest_dms(keep: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        return sorted((e for e in st.dm_events if keep(e)), key=lambda e: int(e["id"]), reverse=True)

    @app.get("/2/dm_events")
    async def dm_events(request: Request) -> JSONResponse:
        q = request.query_params
        return await handle(request, lambda _body: dm_page(q, newest_dms(lambda e: True)))

    @app.get("/2/dm_conversations/with/{participant_id}/dm_events")
    async def dm_conversation_events(participant_id: str, request: Request) -> JSONResponse:
        q = request.query_params
        cid = st.conversation_id(participant_id)
        return await handle(request, lambda _body: dm_page(q, newest_dms(lambda e: e["dm_conversation_id"] == cid)))

    @app.post("/2/dm_conversations/with/{participant_id}/messages")
    async def direct_message(participant_id: str, request: Request) -> JSONResponse:
        def run(body: dict[str, Any]) -> JSONResponse:
            text = body.get("text")
            if not isinstance(text, str) or not text.strip():
                return problem(400, "Invalid Request", "One or more parameters to your request was invalid: text")
            if participant_id in st.dm_closed:
                return problem(403, "Forbidden", "You are not permitted to send Direct Messages to this user.")
            event = st.add_dm(st.user_id, participant_id, text)
            publish("private_reply", request, participant_id, body, event["id"])
            data = {"dm_conversation_id": event["dm_conversation_id"], "dm_event_id": event["id"]}
            return JSONResponse({"data": data}, 201)

        return await handle(request, run)

    return app
