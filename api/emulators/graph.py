"""A local Graph API (Facebook Pages + Instagram comments) for `sowana dev` and the tests.

Serves, under any version prefix (`/v21.0/...`): `POST /{comment-id}/comments` (Facebook reply),
`POST /{ig-comment-id}/replies` (Instagram reply, top-level and visible comments only),
`POST /{page-id}/messages` (private reply with `recipient.comment_id`, one per comment within 7 days of it,
answered with the person's PSID / IGSID; Send API message with `recipient.id`, within 24 hours of the
person's last message, 7 days with `"tag": "HUMAN_AGENT"`), `GET /{page-or-ig-id}/conversations`
(`platform`, `user_id`, `fields=messages.limit(N){message,from,created_time,id}`), `POST /{comment-id}` with
`is_hidden` / `hide`, `DELETE /{comment-id}`, `GET /{comment-id}` and the replies edges
`GET /{comment-id}/comments` / `GET /{ig-comment-id}/replies` (`data` + cursor `paging`), with Graph
error objects.

Inspection and control (not part of the Graph API):
  GET  /_emulator/published      what was published (replies, private replies, hides, deletes)
  GET  /_emulator/calls          every API call answered, with status and time
  GET  /_emulator/comments       the comments the emulator knows
  POST /_emulator/fire           a comment (or {"events": [...]}) → the real webhook JSON, signed
                                 with the app secret, POSTed to the webhook URL (or the body's
                                 "webhook_url")
  POST /_emulator/config         {"webhook_url": ..., "echo_replies": bool}
  POST /_emulator/message        a person's direct message: {"platform": "facebook" | "instagram",
                                 "account_id"? (default: the comment's page, else 1111), "from": {"id"} (PSID /
                                 IGSID) or "comment_id" (its author answers, in the conversation the private
                                 reply opened), "text", "attachments"? [{"type", "url"}], "mid"?,
                                 "timestamp"? (unix s or ms: a message in the past, e.g. 25 h ago),
                                 "deliver": "webhook" (default) | "store", "forge"?, "webhook_url"?}
                                 → {"mid", "psid", "account_id", "conversation_id", "payload", status…};
                                 the signed messaging webhook is `object` page (Messenger) or instagram
  POST /_emulator/block          {"id": psid, "blocked"?: true}: the person blocked the page (Send API: 551/1545041)
  GET  /_emulator/conversations  the conversations, with their messages
  Facebook PSIDs differ from the commenter's id (as on Meta: page-scoped); Instagram uses one IGSID for both.
  Echoes: with `echo_replies`, each message the page sends comes back as a messaging webhook
  (`is_echo`, `app_id`), as Meta does.
  POST /_emulator/engagement     {"id", "likes", "replies", "shares"}: what people did with a reply; read back
                                 by `GET /{id}?fields=like_count,comment_count` (Instagram: `like_count,replies`)
  POST /_emulator/faults         {"fail": N, "status": 500} | {"next": [{"status": 429, "retry_after": 1},
                                 {"kind": "usage_limit", "regain_minutes": 0}, {"kind": "expired_token"}]}
                                 | {"expired_token": true} | {"missing_permission": true};  DELETE resets
                                 {"next": [{"kind": "accepted_then_timeout", "delay": 15}]}: the next call is
                                 carried out (a reply is published) but answered only after `delay` s, with
                                 a 504: the caller times out not knowing it went through;
                                 {"next": [{"kind": "send_rate"}]}: (#613) call-rate limit
  POST /_emulator/reset          forget everything
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import BackgroundTasks, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from api.emulators.common import Faults, Record, add_control_routes, deliver, read_body, toggle
from api.platforms.signatures import meta_signature

_VERSION = re.compile(r"^/v\d+\.\d+(?=/)")
LATE = "accepted_then_timeout"  # a fault kind: carried out, answered too late
APP_ID = "1234567890"  # Sowana's app, as echoes name it
WINDOW = 24 * 3600  # a standard reply: within 24 hours of the person's last message
HUMAN_AGENT_WINDOW = 7 * 24 * 3600  # the HUMAN_AGENT tag; also a private reply's limit from the comment


def graph_error(
    status: int,
    message: str,
    code: int,
    subcode: int | None = None,
    type_: str = "OAuthException",
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    err: dict[str, Any] = {"message": message, "type": type_, "code": code}
    if subcode is not None:
        err["error_subcode"] = subcode
    err["fbtrace_id"] = "A" + secrets.token_hex(10)
    return JSONResponse({"error": err}, status_code=status, headers=headers)


class GraphState:
    def __init__(self, app_secret: str, page_token: str, webhook_url: str | None, echo_replies: bool) -> None:
        self.app_secret = app_secret
        self.page_token = page_token
        self.webhook_url = webhook_url
        self.echo_replies = echo_replies
        self.comments: dict[str, dict[str, Any]] = {}
        self.private_replied: set[str] = set()
        # (account id, person id) → {"id", "platform", "account_id", "person_id", "last_in", "messages": [...]}
        self.conversations: dict[tuple[str, str], dict[str, Any]] = {}
        self.blocked: set[str] = set()
        # Likes, replies and shares people gave our replies (set by the tests through the control route).
        self.engagement: dict[str, dict[str, int]] = {}
        self.faults = Faults()
        self.record = Record()
        self._ids = itertools.count(1001)

    def new_id(self) -> int:
        return next(self._ids)

    @staticmethod
    def psid(platform: str, account_id: str, author_id: str) -> str:
        """The person's messaging id: Messenger's PSID is page-scoped (not the commenter's id); Instagram's
        comment `from.id` is already the IGSID."""
        if platform == "instagram":
            return author_id
        return str(10**15 + int(hashlib.sha256(f"{account_id}:{author_id}".encode()).hexdigest(), 16) % 10**15)

    def conversation(self, platform: str, account_id: str, person_id: str) -> dict[str, Any]:
        return self.conversations.setdefault(
            (account_id, person_id),
            {
                "id": f"t_{self.new_id()}",
                "platform": platform,
                "account_id": account_id,
                "person_id": person_id,
                "last_in": None,  # unix time of the person's last message: opens the window
                "messages": [],
            },
        )

    def find_conversation(self, node: str, person_id: str) -> dict[str, Any] | None:
        """The conversation of `node` (a page / IG account id, or `me`: the token's own) with the person."""
        if node != "me":
            return self.conversations.get((node, person_id))
        return next((c for (_, p), c in self.conversations.items() if p == person_id), None)


def _iso(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(at))


def _fault_response(spec: dict[str, Any]) -> JSONResponse:
    kind = spec.get("kind")
    status = int(spec.get("status", 0) or 0)
    headers: dict[str, str] = {}
    if spec.get("retry_after") is not None:
        headers["Retry-After"] = str(spec["retry_after"])
    if kind == "expired_token":
        return graph_error(
            400, "Error validating access token: Session has expired on Friday, 20-Nov-26 14:00:00 PST.", 190, 463
        )
    if kind == "missing_permission":
        return graph_error(403, "(#200) Requires pages_manage_engagement permission to manage the object", 200)
    if kind == "usage_limit":
        regain = int(spec.get("regain_minutes", 0))
        usage = {
            "1234567890": [
                {
                    "type": "pages",
                    "call_count": 100,
                    "total_cputime": 20,
                    "total_time": 30,
                    "estimated_time_to_regain_access": regain,
                }
            ]
        }
        headers["X-Business-Use-Case-Usage"] = json.dumps(usage)
        return graph_error(status or 400, "(#32) Page request limit reached", 32, headers=headers)
    if kind == "send_rate":
        return graph_error(status or 400, "(#613) Calls to this api have exceeded the rate limit.", 613)
    if status == 429 or kind == "rate_limit":
        headers["X-App-Usage"] = json.dumps({"call_count": 100, "total_cputime": 10, "total_time": 12})
        return graph_error(status or 400, "(#4) Application request limit reached", 4, headers=headers)
    return graph_error(status or 500, "An unexpected error has occurred. Please retry your request later.", 2)


def create_graph_emulator(
    *,
    app_secret: str,
    page_token: str,
    webhook_url: str | None = None,
    echo_replies: bool = True,
) -> FastAPI:
    """`echo_replies`: like Meta, a reply the page publishes comes back as a feed webhook (from the page)."""
    st = GraphState(app_secret, page_token, webhook_url, echo_replies)
    app = FastAPI(title="Graph API emulator")
    app.state.emulator = st

    @app.middleware("http")
    async def strip_version(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request.scope["emulator.original_path"] = request.scope["path"]  # what the client called, for /calls
        request.scope["path"] = _VERSION.sub("", request.scope["path"])
        return await call_next(request)

    # ---- control -------------------------------------------------------------------------------

    @app.get("/_emulator/comments")
    def comments() -> dict[str, dict[str, Any]]:
        return st.comments

    @app.post("/_emulator/config")
    async def config(request: Request) -> dict[str, Any]:
        body = await read_body(request)
        if "webhook_url" in body:
            st.webhook_url = body["webhook_url"] or None
        if "echo_replies" in body:
            st.echo_replies = bool(body["echo_replies"])
        return {"webhook_url": st.webhook_url, "echo_replies": st.echo_replies}

    @app.post("/_emulator/engagement")
    async def set_engagement(request: Request) -> dict[str, Any]:
        """{"id": comment id, "likes": N, "replies": N, "shares": N}: what people did with one of our replies."""
        body = await read_body(request)
        counts = {k: int(body.get(k, 0) or 0) for k in ("likes", "replies", "shares")}
        st.engagement[str(body.get("id"))] = counts
        return counts

    def forget() -> None:
        st.comments.clear()
        st.private_replied.clear()
        st.engagement.clear()
        st.conversations.clear()
        st.blocked.clear()

    add_control_routes(app, st.record, st.faults, forget)

    def _change(ev: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        """(object, page id, change) for one fired comment; remembers the comment."""
        platform = ev.get("platform", "facebook")
        page_id = str(ev.get("page_id") or "1111")
        author = ev.get("from") or {"id": "9001", "name": "Test User"}
        verb = ev.get("verb", "add")
        now = int(ev.get("created_time") or time.time())
        if platform == "instagram":
            cid = str(ev.get("comment_id") or ev.get("id") or f"1790{st.new_id()}")
            media_id = str(ev.get("media_id") or ev.get("post_id") or "17900000000000001")
            value: dict[str, Any] = {
                "from": {"id": str(author.get("id")), "username": author.get("username") or author.get("name")},
                "media": {"id": media_id, "media_product_type": "FEED"},
                "id": cid,
                "text": ev.get("text", ""),
            }
            if ev.get("parent_id"):
                value["parent_id"] = str(ev["parent_id"])
            st.comments[cid] = {
                "id": cid,
                "platform": "instagram",
                "page_id": page_id,
                "text": value["text"],
                "from": value["from"],
                "media_id": media_id,
                "parent_id": value.get("parent_id"),
                "hidden": False,
                "deleted": False,
                "created_time": now,
            }
            return "instagram", page_id, {"field": "comments", "value": value}
        post_id = str(ev.get("post_id") or f"{page_id}_{st.new_id()}")
        cid = str(ev.get("comment_id") or f"{post_id.split('_')[-1]}_{st.new_id()}")
        value = {
            "from": {"id": str(author.get("id")), "name": author.get("name")},
            "post": {
                "status_type": "added_photos",
                "is_published": True,
                "id": post_id,
                "permalink_url": f"https://www.facebook.com/{post_id}",
            },
            "post_id": post_id,
            "comment_id": cid,
            "parent_id": str(ev.get("parent_id") or post_id),
            "created_time": now,
            "item": "comment",
            "verb": verb,
        }
        if verb != "remove":
            value["message"] = ev.get("text", "")
        known = st.comments.setdefault(
            cid,
            {
                "id": cid,
                "platform": "facebook",
                "page_id": page_id,
                "from": value["from"],
                "post_id": post_id,
                "hidden": False,
                "created_time": now,
            },
        )
        known["parent_id"] = None if value["parent_id"] == post_id else value["parent_id"]
        known["text"] = value.get("message", known.get("text"))
        known["deleted"] = verb == "remove"
        return "page", page_id, {"field": "feed", "value": value}

    def build_delivery(events: list[dict[str, Any]]) -> dict[str, Any]:
        """Meta batches: one entry per page, each with its changes."""
        obj = "page"
        entries: dict[str, dict[str, Any]] = {}
        for ev in events:
            obj, page_id, change = _change(ev)
            entry = entries.setdefault(page_id, {"id": page_id, "time": int(time.time()), "changes": []})
            entry["changes"].append(change)
        return {"object": obj, "entry": list(entries.values())}

    async def send_delivery(payload: dict[str, Any], *, forge: bool = False, url: str | None = None) -> dict[str, Any]:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        secret = "not-the-app-secret" if forge else st.app_secret
        url = url or st.webhook_url
        if not url:
            return {"status": None, "error": "no webhook_url configured"}
        return await deliver(url, body, {"X-Hub-Signature-256": meta_signature(secret, body)}, st.record)

    @app.post("/_emulator/fire")
    async def fire(request: Request) -> dict[str, Any]:
        body = await read_body(request)
        events = body.get("events") or [body]
        payload = build_delivery(events)
        # `webhook_url` in the body: this delivery goes there (one of several app processes, as a load
        # balancer would choose).
        outcome = await send_delivery(payload, forge=bool(body.get("forge")), url=body.get("webhook_url"))
        ids = [c["value"].get("comment_id") or c["value"].get("id") for e in payload["entry"] for c in e["changes"]]
        return {"comment_ids": ids, "payload": payload, **outcome}

    def _seconds(value: Any) -> float:
        """Unix seconds from seconds or milliseconds (Messenger's `timestamp` is in ms)."""
        t = float(value)
        return t / 1000 if t >= 10**11 else t

    def messaging_delivery(
        conv: dict[str, Any], sender: str, recipient: str, message: dict[str, Any], at: float
    ) -> dict[str, Any]:
        """The messaging webhook of one message (Messenger: object page; Instagram: object instagram)."""
        ms = int(at * 1000)
        item = {"sender": {"id": sender}, "recipient": {"id": recipient}, "timestamp": ms, "message": message}
        obj = "instagram" if conv["platform"] == "instagram" else "page"
        return {"object": obj, "entry": [{"id": conv["account_id"], "time": ms, "messaging": [item]}]}

    def add_message(conv: dict[str, Any], mid: str, sender: str, text: str, at: float, **extra: Any) -> None:
        name = {"id": sender}
        if sender == conv["account_id"]:
            name["name" if conv["platform"] == "facebook" else "username"] = "Page"
        conv["messages"].append({"id": mid, "message": text, "from": name, "created_time": at, **extra})

    def echo(background: BackgroundTasks, conv: dict[str, Any], mid: str, text: str) -> None:
        """Meta sends what the page said back as a messaging webhook (`is_echo`, the sending app's id)."""
        if st.echo_replies and st.webhook_url:
            message = {"mid": mid, "is_echo": True, "app_id": int(APP_ID), "text": text}
            payload = messaging_delivery(conv, conv["account_id"], conv["person_id"], message, time.time())
            background.add_task(send_delivery, payload)

    @app.post("/_emulator/message")
    async def person_message(request: Request) -> JSONResponse:
        body = await read_body(request)
        comment = st.comments.get(str(body.get("comment_id"))) if body.get("comment_id") else None
        if body.get("comment_id") and comment is None:
            return JSONResponse({"error": f"unknown comment_id {body['comment_id']}"}, status_code=400)
        platform = comment["platform"] if comment else body.get("platform", "facebook")
        if platform not in ("facebook", "instagram"):
            return JSONResponse({"error": "platform must be facebook or instagram"}, status_code=400)
        account = str(body.get("account_id") or (comment["page_id"] if comment else "1111"))
        if comment:
            person = st.psid(platform, account, str(comment["from"].get("id")))
        else:
            sender = body.get("from")
            if not isinstance(sender, dict) or not sender.get("id"):
                return JSONResponse({"error": "'from': {'id'} or 'comment_id' is required"}, status_code=400)
            person = str(sender["id"])
        at = _seconds(body["timestamp"]) if body.get("timestamp") else time.time()
        mid = str(body.get("mid") or f"m_{secrets.token_hex(12)}")
        text = str(body["text"]) if isinstance(body.get("text"), str) else ""
        attachments = [
            {"type": str(a.get("type") or "file"), "payload": {"url": a["url"]} if a.get("url") else {}}
            for a in body.get("attachments") or []
            if isinstance(a, dict)
        ]
        conv = st.conversation(platform, account, person)
        conv["last_in"] = max(conv["last_in"] or 0.0, at)
        add_message(conv, mid, person, text, at)
        message: dict[str, Any] = {"mid": mid}
        if text:
            message["text"] = text
        if attachments:
            message["attachments"] = attachments
        payload = messaging_delivery(conv, person, account, message, at)
        outcome: dict[str, Any] = {}
        if body.get("deliver", "webhook") == "webhook":
            outcome = await send_delivery(payload, forge=bool(body.get("forge")), url=body.get("webhook_url"))
        found = {"mid": mid, "psid": person, "account_id": account, "conversation_id": conv["id"]}
        return JSONResponse({**found, "payload": payload, **outcome})

    @app.post("/_emulator/block")
    async def block(request: Request) -> dict[str, Any]:
        return {"blocked": toggle(st.blocked, await read_body(request), "blocked")}

    @app.get("/_emulator/conversations")
    def conversations() -> list[dict[str, Any]]:
        return list(st.conversations.values())

    # ---- Graph API -----------------------------------------------------------------------------

    def check(request: Request) -> JSONResponse | None:
        auth = request.headers.get("authorization", "")
        token = auth.split(" ", 1)[1] if auth.lower().startswith(("bearer ", "oauth ")) else None
        token = token or request.query_params.get("access_token")
        if not token:
            return graph_error(400, "An active access token must be used to query information.", 2500)
        if token != st.page_token:
            return graph_error(400, "Invalid OAuth access token - Cannot parse access token", 190)
        spec = st.faults.take()
        if spec is not None:
            return _fault_response(spec)
        if st.faults.expired_token:
            return _fault_response({"kind": "expired_token"})
        if st.faults.missing_permission:
            return _fault_response({"kind": "missing_permission"})
        return None

    def missing(object_id: str) -> JSONResponse:
        return graph_error(
            400,
            f"Unsupported post request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
            "missing permissions, or does not support this operation.",
            100,
            33,
            type_="GraphMethodException",
        )

    async def handle(request: Request, run: Callable[[dict[str, Any]], JSONResponse]) -> JSONResponse:
        body = await read_body(request)
        late = st.faults.next.popleft() if st.faults.next and st.faults.next[0].get("kind") == LATE else None
        response = check(request)
        if response is None:
            response = run(body)
        st.record.call(request, body, response.status_code)
        if late is not None:  # done; the answer comes after the caller gave up waiting
            await asyncio.sleep(float(late.get("delay", 15.0)))
            return graph_error(504, "Gateway Time-out", 1, type_="OAuthException")
        return response

    def _text(body: dict[str, Any]) -> str | None:
        message = body.get("message")
        return message if isinstance(message, str) and message.strip() else None

    def publish(kind: str, request: Request, target: str, body: dict[str, Any], new_id: str | None) -> None:
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

    @app.post("/{object_id}/comments")
    async def fb_reply(object_id: str, request: Request, background: BackgroundTasks) -> JSONResponse:
        def run(body: dict[str, Any]) -> JSONResponse:
            target = st.comments.get(object_id)
            if target is None or target["deleted"] or target["platform"] != "facebook":
                return missing(object_id)
            text = _text(body)
            if text is None:
                return graph_error(400, "(#100) The parameter message is required", 100)
            new_id = f"{object_id.split('_')[0]}_{st.new_id()}"
            st.comments[new_id] = {
                "id": new_id,
                "platform": "facebook",
                "page_id": target["page_id"],
                "text": text,
                "from": {"id": target["page_id"], "name": "Page"},
                "post_id": target["post_id"],
                "parent_id": object_id,
                "hidden": False,
                "deleted": False,
            }
            publish("reply", request, object_id, body, new_id)
            if st.echo_replies and st.webhook_url:
                echo = {
                    "platform": "facebook",
                    "page_id": target["page_id"],
                    "post_id": target["post_id"],
                    "comment_id": new_id,
                    "parent_id": object_id,
                    "text": text,
                    "from": {"id": target["page_id"], "name": "Page"},
                }
                background.add_task(send_delivery, build_delivery([echo]))
            return JSONResponse({"id": new_id})

        return await handle(request, run)

    @app.post("/{object_id}/replies")
    async def ig_reply(object_id: str, request: Request) -> JSONResponse:
        def run(body: dict[str, Any]) -> JSONResponse:
            target = st.comments.get(object_id)
            if target is None or target["deleted"] or target["platform"] != "instagram":
                return missing(object_id)
            if target.get("parent_id"):
                return graph_error(
                    400, "(#100) Replies can only be made to top-level comments", 100, type_="IGApiException"
                )
            if target.get("hidden"):
                return graph_error(400, "(#100) Cannot reply to a hidden comment", 100, type_="IGApiException")
            text = _text(body)
            if text is None:
                return graph_error(400, "(#100) The parameter message is required", 100)
            new_id = f"1790{st.new_id()}"
            st.comments[new_id] = {
                "id": new_id,
                "platform": "instagram",
                "page_id": target["page_id"],
                "text": text,
                "from": {"id": target["page_id"], "username": "brand"},
                "media_id": target["media_id"],
                "parent_id": object_id,
                "hidden": False,
                "deleted": False,
            }
            publish("ig_reply", request, object_id, body, new_id)
            return JSONResponse({"id": new_id})

        return await handle(request, run)

    @app.post("/{page_id}/messages")
    async def messages(page_id: str, request: Request, background: BackgroundTasks) -> JSONResponse:
        def unavailable() -> JSONResponse:
            return graph_error(400, "(#551) This person isn't available right now.", 551, 1545041)

        def outside_window() -> JSONResponse:
            return graph_error(400, "(#10) This message is sent outside of allowed window.", 10, 2018278)

        def private_reply(cid: str, text: str) -> JSONResponse:
            target = st.comments.get(cid)
            if target is None or target["deleted"]:
                return graph_error(400, "(#100) No matching user found", 100, 2018001)
            if cid in st.private_replied:
                return graph_error(400, "(#10900) Activity already replied to", 10900)
            if time.time() - _seconds(target.get("created_time") or time.time()) > HUMAN_AGENT_WINDOW:
                return outside_window()  # one private reply, within 7 days of the comment
            person = st.psid(target["platform"], target["page_id"], str(target["from"].get("id")))
            if person in st.blocked:
                return unavailable()
            st.private_replied.add(cid)
            mid = f"m_{secrets.token_hex(8)}"
            # It opens a conversation, but no window: the page may write again once the person answers.
            conv = st.conversation(target["platform"], target["page_id"], person)
            add_message(conv, mid, target["page_id"], text, time.time(), comment_id=cid)
            publish("private_reply", request, cid, body_of[0], mid)
            st.record.published[-1]["recipient_id"] = person
            echo(background, conv, mid, text)
            return JSONResponse({"recipient_id": person, "message_id": mid})

        def send(person: str, text: str, body: dict[str, Any]) -> JSONResponse:
            conv = st.find_conversation(page_id, person)
            known = conv is not None or any(
                st.psid(c["platform"], c["page_id"], str(c["from"].get("id"))) == person for c in st.comments.values()
            )
            if not known:
                return graph_error(400, "(#100) No matching user found", 100, 2018001)
            if person in st.blocked:
                return unavailable()
            tag = body.get("tag")
            kind = body.get("messaging_type", "RESPONSE")
            if kind == "MESSAGE_TAG" and tag != "HUMAN_AGENT":
                return graph_error(400, f"(#100) Param tag[{tag}] is not a supported message tag", 100)
            limit = HUMAN_AGENT_WINDOW if kind == "MESSAGE_TAG" else WINDOW
            if conv is None or conv["last_in"] is None or time.time() - conv["last_in"] > limit:
                return outside_window()
            mid = f"m_{secrets.token_hex(8)}"
            add_message(conv, mid, conv["account_id"], text, time.time())
            publish("message", request, person, body, mid)
            st.record.published[-1]["recipient_id"] = person
            echo(background, conv, mid, text)
            return JSONResponse({"recipient_id": person, "message_id": mid})

        body_of: list[dict[str, Any]] = [{}]

        def run(body: dict[str, Any]) -> JSONResponse:
            body_of[0] = body
            recipient: dict[str, Any] = body["recipient"] if isinstance(body.get("recipient"), dict) else {}
            message: dict[str, Any] = body["message"] if isinstance(body.get("message"), dict) else {}
            text = message.get("text")
            if not isinstance(text, str) or not text.strip():
                return graph_error(400, "(#100) message.text is required", 100)
            if recipient.get("comment_id"):
                return private_reply(str(recipient["comment_id"]), text)
            if recipient.get("id"):
                return send(str(recipient["id"]), text, body)
            return graph_error(400, "(#100) recipient.id or recipient.comment_id is required", 100)

        return await handle(request, run)

    @app.get("/{node}/conversations")
    async def read_conversations(node: str, request: Request) -> JSONResponse:
        """A page's (or Instagram account's) conversations, `user_id` narrowing to one person's; with
        `fields=messages.limit(N){…}` each conversation's messages, newest first."""
        q = request.query_params

        def run(_body: dict[str, Any]) -> JSONResponse:
            platform = {"messenger": "facebook", "instagram": "instagram"}.get(q.get("platform", "messenger"))
            if platform is None:
                return graph_error(400, "(#100) param platform must be one of {MESSENGER, INSTAGRAM}", 100)
            found = [
                c
                for c in st.conversations.values()
                if c["platform"] == platform
                and (node == "me" or c["account_id"] == node)
                and (not q.get("user_id") or c["person_id"] == q["user_id"])
            ]
            fields = q.get("fields", "")
            limit_match = re.search(r"messages\.limit\((\d+)\)", fields)
            limit = int(limit_match.group(1)) if limit_match else 25
            data = []
            for c in found:
                item: dict[str, Any] = {
                    "id": c["id"],
                    "updated_time": _iso(max((m["created_time"] for m in c["messages"]), default=0)),
                }
                if "messages" in fields:
                    newest = sorted(c["messages"], key=lambda m: m["created_time"], reverse=True)[:limit]
                    item["messages"] = {
                        "data": [
                            {
                                "id": m["id"],
                                "message": m["message"],
                                "from": m["from"],
                                "created_time": _iso(m["created_time"]),
                            }
                            for m in newest
                        ]
                    }
                data.append(item)
            return JSONResponse({"data": data})

        return await handle(request, run)

    @app.post("/{object_id}")
    async def update(object_id: str, request: Request) -> JSONResponse:
        def run(body: dict[str, Any]) -> JSONResponse:
            target = st.comments.get(object_id)
            if target is None or target["deleted"]:
                return missing(object_id)
            field = "hide" if target["platform"] == "instagram" else "is_hidden"
            if field not in body:
                return graph_error(400, f"(#100) The parameter {field} is required", 100)
            hidden = body[field] in (True, "true", "1", 1)
            target["hidden"] = hidden
            publish("hide" if hidden else "unhide", request, object_id, body, None)
            return JSONResponse({"success": True})

        return await handle(request, run)

    @app.delete("/{object_id}")
    async def delete(object_id: str, request: Request) -> JSONResponse:
        def run(body: dict[str, Any]) -> JSONResponse:
            target = st.comments.get(object_id)
            if target is None or target["deleted"]:
                return missing(object_id)
            target["deleted"] = True
            publish("delete", request, object_id, body, None)
            return JSONResponse({"success": True})

        return await handle(request, run)

    def replies_edge(object_id: str, request: Request, platform: str, key: str) -> JSONResponse:
        """The replies to a comment, oldest first, a page of `limit` at a time (cursor `after`)."""
        target = st.comments.get(object_id)
        if target is None or target["deleted"] or target["platform"] != platform:
            return missing(object_id)
        children = [c for c in st.comments.values() if c.get("parent_id") == object_id and not c["deleted"]]
        limit = max(1, min(100, int(request.query_params.get("limit") or 25)))
        start = int(request.query_params.get("after") or 0)
        page = children[start : start + limit]
        data = [{"id": c["id"], key: c["text"], "from": c["from"]} for c in page]
        out: dict[str, Any] = {"data": data}
        if page:
            out["paging"] = {"cursors": {"before": str(start), "after": str(start + len(page))}}
            if start + len(page) < len(children):
                out["paging"]["next"] = f"{request.url.path}?after={start + len(page)}&limit={limit}"
        return JSONResponse(out)

    @app.get("/{object_id}/comments")
    async def fb_replies(object_id: str, request: Request) -> JSONResponse:
        return await handle(request, lambda _body: replies_edge(object_id, request, "facebook", "message"))

    @app.get("/{object_id}/replies")
    async def ig_replies(object_id: str, request: Request) -> JSONResponse:
        return await handle(request, lambda _body: replies_edge(object_id, request, "instagram", "text"))

    @app.get("/{object_id}")
    async def read(object_id: str, request: Request) -> JSONResponse:
        def run(body: dict[str, Any]) -> JSONResponse:
            target = st.comments.get(object_id)
            if target is None or target["deleted"]:
                return missing(object_id)
            key = "text" if target["platform"] == "instagram" else "message"
            hidden_key = "hidden" if target["platform"] == "instagram" else "is_hidden"
            out: dict[str, Any] = {
                "id": object_id,
                key: target.get("text"),
                "from": target["from"],
                hidden_key: target["hidden"],
            }
            fields = set(request.query_params.get("fields", "").replace("{", ",").split(","))
            counts = st.engagement.get(object_id, {})
            children = [c for c in st.comments.values() if c.get("parent_id") == object_id and not c["deleted"]]
            replies = max(counts.get("replies", 0), len(children))
            if "like_count" in fields:
                out["like_count"] = counts.get("likes", 0)
            if "comment_count" in fields and target["platform"] == "facebook":
                out["comment_count"] = replies
            if "replies" in fields and target["platform"] == "instagram":
                ids = [c["id"] for c in children] + [f"1790{object_id}{i}" for i in range(replies - len(children))]
                out["replies"] = {"data": [{"id": i} for i in ids]}
            return JSONResponse(out)

        return await handle(request, run)

    return app
