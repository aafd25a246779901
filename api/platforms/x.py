"""X (API v2): replies, direct messages, hiding replies; errors are RFC 7807 problem JSON.

Calls (paths relative to `X_API_URL`, e.g. https://api.x.com/2):
  reply          POST /tweets                      {"text", "reply": {"in_reply_to_tweet_id"}} → {"data": {"id"}}
  private reply  POST /dm_conversations/with/{author-id}/messages {"text"}  → 201 {"data": {"dm_conversation_id",
  and message                                                            "dm_event_id"}}
  read back DMs  GET  /dm_conversations/with/{participant-id}/dm_events?dm_event.fields=id,text,sender_id,created_at
                 → {"data": [{"id", "text", "sender_id", "created_at", "event_type"}], "meta": {"next_token"?}}
  hide / unhide  PUT  /tweets/{id}/hidden          {"hidden": b}           → {"data": {"hidden"}}
  read back      GET  /users/me → {"data": {"id"}};  GET /users/{id}/tweets?tweet.fields=referenced_tweets
                 → {"data": [{"id", "text", "referenced_tweets": [{"type": "replied_to", "id"}]}], "meta"}
A reply or direct message is not retried in-call after a time-out or a 5xx (X may have posted it): the
outbox reads the account's recent posts back first (`find_reply`) and adopts ours if it is there.
X lets an account hide replies only in conversations it started, and never delete others' posts.
`X_BEARER_TOKEN` must be a user-context token (OAuth 2.0 with tweet.write) to post.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from api.platforms.http import RetryPolicy, json_or_empty, make_client, send
from bot.comments.publisher import CommentRef, ConversationRef, Published, PublishError

HIDE_REFUSED = (
    "X only lets an account hide replies in conversations it started, and this post is not in one of "
    "the brand's conversations: report or mute it on X instead"
)


def problem(response: httpx.Response) -> dict[str, Any]:
    body = json_or_empty(response)
    if "title" in body or "detail" in body:
        return body
    errors = body.get("errors")
    return errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else body


DM_REFUSED = (
    "this person does not accept direct messages from the brand's X account (they do not follow it, "
    "closed their DMs, or blocked it): answer publicly or wait for them to write"
)


def explain(response: httpx.Response, *, dm: bool = False) -> PublishError:
    """An X failure in plain words; `dm`: the call sent a direct message (a 403 then means the person
    does not accept them)."""
    p = problem(response)
    status = response.status_code
    detail = str(p.get("detail") or p.get("message") or p.get("title") or f"HTTP {status}")[:300]
    if status == 401:
        return PublishError(
            "the X access token was refused: reconnect the X account", retryable=False, code="token_invalid"
        )
    if status == 429:
        reset = response.headers.get("x-rate-limit-reset", "")
        when = (
            " after " + datetime.fromtimestamp(int(reset), UTC).strftime("%H:%M UTC") if reset.isdigit() else " later"
        )
        return PublishError(
            f"X is rate limiting the account: Sowana will retry{when}", retryable=True, code="rate_limited"
        )
    if status >= 500:
        return PublishError("X had a temporary problem: Sowana will retry", retryable=True, code="unavailable")
    if status == 404:
        return PublishError("the post no longer exists on X: it cannot be answered", retryable=False, code="not_found")
    if status == 403 and dm:
        return PublishError(DM_REFUSED, retryable=False, code="dm_not_permitted")
    if status == 403:
        return PublishError(f"X refused the request ({detail})", retryable=False, code="forbidden")
    return PublishError(f"X refused the request ({detail})", retryable=False, code=f"http_{status}")


def _published(new_id: str) -> Published:
    return Published(platform_id=new_id, url=f"https://x.com/i/web/status/{new_id}" if new_id else None)


class XPublisher:
    """`Publisher` for platform `x`."""

    def __init__(
        self,
        *,
        api_url: str,
        bearer_token: str | None,
        client: httpx.Client | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.bearer_token = bearer_token
        self.client = client or make_client(api_url)
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self._user_id: str | None = None  # the account's, learnt once (GET /users/me)

    def close(self) -> None:
        self.client.close()

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        repeatable: bool = True,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        if not self.bearer_token:
            raise PublishError("no X token is configured: set X_BEARER_TOKEN", retryable=False, code="token_missing")
        return send(
            self.client,
            method,
            path,
            service="X",
            policy=self.policy,
            sleep=self.sleep,
            repeatable=repeatable,
            json=body,
            params=params,
            headers={"Authorization": f"Bearer {self.bearer_token}"},
        )

    def _ok(self, response: httpx.Response, *, dm: bool = False) -> dict[str, Any]:
        body = json_or_empty(response)
        if response.status_code >= 400 or not isinstance(body.get("data"), dict):
            raise explain(response, dm=dm)
        data: dict[str, Any] = body["data"]
        return data

    def reply(self, comment: CommentRef, text: str) -> Published:
        body = {"text": text, "reply": {"in_reply_to_tweet_id": comment.external_id}}
        data = self._ok(self._call("POST", "tweets", body, repeatable=False))
        return _published(str(data.get("id", "")))

    def find_reply(self, comment: CommentRef, text: str) -> Published | None:
        """Our reply `text` to the post among the account's recent posts (the last 500): one whose
        `referenced_tweets` says it replied to it, with that text."""
        self._me()
        params = {"max_results": "100", "tweet.fields": "referenced_tweets"}
        for _ in range(5):
            response = self._call("GET", f"users/{self._user_id}/tweets", params=params)
            body = json_or_empty(response)
            if response.status_code >= 400:
                raise explain(response)
            for item in body.get("data") or []:
                replied = {r.get("id") for r in item.get("referenced_tweets") or [] if r.get("type") == "replied_to"}
                if comment.external_id in replied and item.get("text") == text:
                    return _published(str(item["id"]))
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                return None
            params = params | {"pagination_token": str(token)}
        return None

    def _direct_message(self, participant_id: str, text: str) -> Published:
        path = f"dm_conversations/with/{participant_id}/messages"
        data = self._ok(self._call("POST", path, {"text": text}, repeatable=False), dm=True)
        return Published(platform_id=str(data.get("dm_event_id", "")), recipient_id=participant_id)

    def private_reply(self, comment: CommentRef, text: str) -> Published:
        return self._direct_message(comment.author_id, text)

    def send_message(self, to: ConversationRef, text: str) -> Published:
        if to.platform != "x":
            raise PublishError(f"XPublisher cannot handle platform {to.platform!r}", retryable=False)
        return self._direct_message(to.participant_id, text)

    def _me(self) -> str:
        if self._user_id is None:
            self._user_id = str(self._ok(self._call("GET", "users/me"))["id"])
        return self._user_id

    def find_message(self, to: ConversationRef, text: str) -> Published | None:
        """Our message `text` among the last 100 events of the conversation with the person."""
        account = to.account_id or self._me()
        params = {"dm_event.fields": "id,text,sender_id,created_at", "max_results": "100"}
        response = self._call("GET", f"dm_conversations/with/{to.participant_id}/dm_events", params=params)
        if response.status_code >= 400:
            raise explain(response)
        for item in json_or_empty(response).get("data") or []:
            if isinstance(item, dict) and str(item.get("sender_id")) == account and item.get("text") == text:
                return Published(platform_id=str(item.get("id", "")), recipient_id=to.participant_id)
        return None

    def hide(self, comment: CommentRef, hidden: bool = True) -> None:
        if comment.post_id and comment.post_id == comment.external_id:
            # The post started its own conversation, so the brand did not: X would refuse.
            raise PublishError(HIDE_REFUSED, retryable=False, code="hide_not_owner")
        response = self._call("PUT", f"tweets/{comment.external_id}/hidden", {"hidden": hidden})
        if response.status_code == 403:
            raise PublishError(HIDE_REFUSED, retryable=False, code="hide_not_owner")
        self._ok(response)

    def delete(self, comment: CommentRef) -> None:
        raise PublishError(
            "X does not let a brand delete someone else's post: hide it (in the brand's conversations) or report it",
            retryable=False,
            code="delete_not_allowed",
        )
