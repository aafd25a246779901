"""Facebook Pages and Instagram through the Graph API: replies, private replies, hide, delete.

Calls (paths relative to `META_GRAPH_URL`, e.g. https://graph.facebook.com/v21.0):
  Facebook reply     POST   /{comment-id}/comments     {"message": text}        → {"id"}
  Instagram reply    POST   /{ig-comment-id}/replies   {"message": text}        → {"id"}  (top-level only)
  private reply      POST   /{page-id}/messages        {"recipient": {"comment_id"}, "message": {"text"}}
                                                         → {"recipient_id" (the person's PSID / IGSID), "message_id"}
  message (Send API) POST   /{page-id | ig-account-id | me}/messages  {"recipient": {"id"}, "messaging_type":
                            "RESPONSE" | "MESSAGE_TAG", "tag"?, "message": {"text"}} → {"recipient_id", "message_id"}
  read back messages GET    /{page-or-ig-id | me}/conversations?platform=messenger|instagram&user_id={psid}
                            &fields=messages.limit(50){message,from,created_time,id}
                            → {"data": [{"id", "messages": {"data": [{"id", "message", "from", "created_time"}]}}]}
  hide / unhide      POST   /{comment-id}              {"is_hidden": b} (Facebook) | {"hide": b} (Instagram)
  delete             DELETE /{comment-id}
  read back replies  GET    /{comment-id}/comments?filter=stream&fields=id,message,from  (Facebook)
                     GET    /{ig-comment-id}/replies?fields=id,text,from               (Instagram)
                     → {"data": [...], "paging": {"cursors": {"after"}, "next"}}
A reply, private reply or message is not retried in-call after a time-out or a 5xx (Graph may have accepted
it): the outbox reads the comment's replies (`find_reply`) or the conversation (`find_message`) back first
and adopts ours if it is there. A standard message is allowed within 24 hours of the person's last message
(a HUMAN_AGENT tag: 7 days); Meta refuses one past that with code 10, subcode 2018278 (`window_closed`).
Errors are Graph error objects `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from api.platforms.http import RetryPolicy, json_or_empty, make_client, send
from bot.comments.publisher import CommentRef, ConversationRef, Published, PublishError

# Graph error codes a wait heals: 1/2 temporary, 4 app, 17 user, 32 page, 613 call-rate, 8000x business use case.
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 613, 80001, 80002, 80005, 80006})
RATE_LIMIT_CODES = TRANSIENT_CODES - {1, 2}

_WHO = {"facebook": "the Facebook page", "instagram": "the Instagram account"}
_PLATFORM = {"facebook": "Facebook", "instagram": "Instagram"}


def graph_error(response: httpx.Response) -> dict[str, Any]:
    err = json_or_empty(response).get("error")
    return err if isinstance(err, dict) else {}


def _code(err: dict[str, Any], name: str) -> int | None:
    value = err.get(name)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def meta_transient(response: httpx.Response) -> bool:
    if response.status_code >= 500 or response.status_code == 429:
        return True
    return _code(graph_error(response), "code") in TRANSIENT_CODES


def explain(response: httpx.Response, platform: str) -> PublishError:
    """A Graph failure in the plain words the team reads in the comment's Slack thread."""
    err = graph_error(response)
    code, sub = _code(err, "code"), _code(err, "error_subcode")
    who, name = _WHO.get(platform, "the Meta account"), _PLATFORM.get(platform, "Meta")
    message = str(err.get("message") or "")[:300]
    if code == 10 and sub == 2018278:  # before the generic code 10 (a permission): same code, another story
        return PublishError(
            "the 24-hour reply window of this conversation has closed: "
            f"{name} refuses a standard reply until the person writes again",
            retryable=False,
            code="window_closed",
        )
    if (code == 551 and sub == 1545041) or (code == 100 and sub == 2018001):
        return PublishError(
            f"this person cannot receive messages from {who} (they blocked it, left {name}, "
            "or are no longer reachable)",
            retryable=False,
            code="recipient_unavailable",
        )
    if code == 190:
        if sub == 463:
            return PublishError(f"{who} token has expired: reconnect it", retryable=False, code="token_expired")
        if sub == 460:
            return PublishError(
                f"{who} token was invalidated (password changed): reconnect it", retryable=False, code="token_invalid"
            )
        return PublishError(f"{who} token is no longer valid: reconnect it", retryable=False, code="token_invalid")
    if code == 10 or (code is not None and 200 <= code <= 299):
        return PublishError(
            f"Sowana lacks a permission on {who} ({message or f'code {code}'}): "
            "grant it in Meta's settings, then retry",
            retryable=False,
            code="permission",
        )
    if code in RATE_LIMIT_CODES or response.status_code == 429:
        return PublishError(
            f"{name} is rate limiting {who}: Sowana will retry later", retryable=True, code="rate_limited"
        )
    if response.status_code >= 500 or code in (1, 2):
        return PublishError(f"{name} had a temporary problem: Sowana will retry", retryable=True, code="unavailable")
    if code == 100 and sub == 33:
        return PublishError(
            f"the comment no longer exists on {name} (deleted by its author?): it cannot be answered",
            retryable=False,
            code="not_found",
        )
    if code == 10900:
        return PublishError(
            f"{name} allows one private reply per comment, and this comment already has one",
            retryable=False,
            code="private_reply_used",
        )
    return PublishError(
        f"{name} refused the request ({message or f'HTTP {response.status_code}'})",
        retryable=False,
        code=f"graph_{code}" if code is not None else f"http_{response.status_code}",
    )


def _facebook_published(new_id: str) -> Published:
    return Published(platform_id=new_id, url=f"https://www.facebook.com/{new_id}" if new_id else None)


class MetaPublisher:
    """`Publisher` for platforms `facebook` and `instagram` (one page token, sent as a Bearer header)."""

    def __init__(
        self,
        *,
        graph_url: str,
        page_token: str | None,
        client: httpx.Client | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.page_token = page_token
        self.client = client or make_client(graph_url)
        self.policy = policy or RetryPolicy()
        self.sleep = sleep

    def close(self) -> None:
        self.client.close()

    def _call(
        self,
        platform: str,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        repeatable: bool = True,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        if not self.page_token:
            raise PublishError(
                f"no token is configured for {_WHO.get(platform, 'Meta')}: set META_PAGE_TOKEN",
                retryable=False,
                code="token_missing",
            )
        response = send(
            self.client,
            method,
            path,
            service=_PLATFORM.get(platform, "Meta"),
            transient=meta_transient,
            policy=self.policy,
            sleep=self.sleep,
            repeatable=repeatable,
            json=body,
            params=params,
            headers={"Authorization": f"Bearer {self.page_token}"},
        )
        if response.status_code >= 400 or "error" in json_or_empty(response):
            raise explain(response, platform)
        return json_or_empty(response)

    @staticmethod
    def _check(comment: CommentRef) -> None:
        if comment.platform not in ("facebook", "instagram"):
            raise PublishError(f"MetaPublisher cannot handle platform {comment.platform!r}", retryable=False)

    def reply(self, comment: CommentRef, text: str) -> Published:
        self._check(comment)
        if comment.platform == "instagram":
            if comment.parent_id:
                raise PublishError(
                    "Instagram only accepts replies to top-level comments, and this one is itself a reply: "
                    "answer the comment it replies to, or reply from the Instagram app",
                    retryable=False,
                    code="ig_reply_to_reply",
                )
            data = self._call(
                "instagram", "POST", f"{comment.external_id}/replies", {"message": text}, repeatable=False
            )
            return Published(platform_id=str(data.get("id", "")))
        data = self._call("facebook", "POST", f"{comment.external_id}/comments", {"message": text}, repeatable=False)
        return _facebook_published(str(data.get("id", "")))

    def find_reply(self, comment: CommentRef, text: str) -> Published | None:
        """Our reply `text` to the comment if the platform has it (an earlier try whose answer was lost):
        Facebook: a reply from the brand's page (the post id's first part) with that message; Instagram:
        a reply with that text (the edge does not say which account wrote it without another call)."""
        self._check(comment)
        instagram = comment.platform == "instagram"
        edge, key = ("replies", "text") if instagram else ("comments", "message")
        params = {"fields": f"id,{key},from", "limit": "100"} | ({} if instagram else {"filter": "stream"})
        page = (
            comment.post_id.split("_", 1)[0] if not instagram and comment.post_id and "_" in comment.post_id else None
        )
        for _ in range(20):  # pages of 100 replies
            data = self._call(comment.platform, "GET", f"{comment.external_id}/{edge}", params=params)
            for item in data.get("data") or []:
                author = (item.get("from") or {}).get("id")
                if item.get(key) == text and (page is None or str(author) == page):
                    found = str(item.get("id", ""))
                    return Published(platform_id=found) if instagram else _facebook_published(found)
            after = ((data.get("paging") or {}).get("cursors") or {}).get("after")
            if not after or not (data.get("paging") or {}).get("next"):
                return None
            params = params | {"after": str(after)}
        return None

    def private_reply(self, comment: CommentRef, text: str) -> Published:
        self._check(comment)
        # Facebook post ids are "<page id>_<post id>"; with a page token "me" is the page itself.
        page = comment.post_id.split("_", 1)[0] if comment.platform == "facebook" and comment.post_id else "me"
        body = {"recipient": {"comment_id": comment.external_id}, "message": {"text": text}}
        data = self._call(comment.platform, "POST", f"{page}/messages", body, repeatable=False)
        recipient = data.get("recipient_id")
        return Published(
            platform_id=str(data.get("message_id", "")), recipient_id=str(recipient) if recipient else None
        )

    @staticmethod
    def _check_to(to: ConversationRef) -> str:
        """The Graph node that talks: the page / Instagram account, or `me` (the page token's own)."""
        if to.platform not in ("facebook", "instagram"):
            raise PublishError(f"MetaPublisher cannot handle platform {to.platform!r}", retryable=False)
        return to.account_id or "me"

    def send_message(self, to: ConversationRef, text: str) -> Published:
        node = self._check_to(to)
        body: dict[str, Any] = {"recipient": {"id": to.participant_id}, "message": {"text": text}}
        if to.tag:  # past the standard window: only an allowed tag (HUMAN_AGENT) may still answer
            body |= {"messaging_type": "MESSAGE_TAG", "tag": to.tag}
        else:
            body |= {"messaging_type": "RESPONSE"}
        data = self._call(to.platform, "POST", f"{node}/messages", body, repeatable=False)
        recipient = data.get("recipient_id") or to.participant_id
        return Published(platform_id=str(data.get("message_id", "")), recipient_id=str(recipient))

    def find_message(self, to: ConversationRef, text: str) -> Published | None:
        """Our message `text` in the conversation with the person, if Meta has it: the last 50 messages of
        the conversation, one from the account (not from the person) with that text."""
        node = self._check_to(to)
        params = {
            "platform": "instagram" if to.platform == "instagram" else "messenger",
            "user_id": to.participant_id,
            "fields": "messages.limit(50){message,from,created_time,id}",
        }
        data = self._call(to.platform, "GET", f"{node}/conversations", params=params)
        for conversation in data.get("data") or []:
            messages = (conversation.get("messages") or {}).get("data") if isinstance(conversation, dict) else None
            for item in messages or []:
                author = str((item.get("from") or {}).get("id", ""))
                ours = author == to.account_id if to.account_id else author != to.participant_id
                if ours and item.get("message") == text:
                    return Published(platform_id=str(item.get("id", "")), recipient_id=to.participant_id)
        return None

    def hide(self, comment: CommentRef, hidden: bool = True) -> None:
        self._check(comment)
        field = "hide" if comment.platform == "instagram" else "is_hidden"
        self._call(comment.platform, "POST", comment.external_id, {field: hidden})

    def delete(self, comment: CommentRef) -> None:
        self._check(comment)
        self._call(comment.platform, "DELETE", comment.external_id)
