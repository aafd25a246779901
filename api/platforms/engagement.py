"""Reading the likes, replies and shares of our published replies from the platforms (or their emulators).

- Facebook: `GET /{comment-id}?fields=like_count,comment_count` (a comment has no share count).
- Instagram: `GET /{ig-comment-id}?fields=like_count,replies{id}` (replies counted from the first page).
- X: `GET /2/tweets?ids=…&tweet.fields=public_metrics` (up to 100 ids a call); shares are
  retweets + quotes. Ids the platform no longer knows (deleted) come back in `errors` and are skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from api.platforms.http import make_client
from bot.insights.engagement import Counts
from bot.settings import Settings, reveal

log = logging.getLogger(__name__)


def parse_graph(platform: str, body: dict[str, Any]) -> Counts:
    likes = int(body.get("like_count") or 0)
    if platform == "instagram":
        replies = body.get("replies")
        data = replies.get("data") if isinstance(replies, dict) else None
        return Counts(likes=likes, replies=len(data) if isinstance(data, list) else 0)
    return Counts(likes=likes, replies=int(body.get("comment_count") or 0))


def parse_x(body: dict[str, Any]) -> dict[str, Counts]:
    out = {}
    for item in body.get("data") or []:
        m = item.get("public_metrics") or {}
        out[str(item["id"])] = Counts(
            likes=int(m.get("like_count") or 0),
            replies=int(m.get("reply_count") or 0),
            shares=int(m.get("retweet_count") or 0) + int(m.get("quote_count") or 0),
        )
    return out


class EngagementReader:
    """`read(platform, ids)` → counts by id, for the platforms whose credentials are configured."""

    def __init__(self, settings: Settings) -> None:
        self.graph: httpx.Client | None = None
        self.x: httpx.Client | None = None
        page_token = reveal(settings.meta_page_token)
        x_token = reveal(settings.x_bearer_token)
        if page_token:
            self.graph = make_client(settings.meta_graph_url, {"Authorization": f"Bearer {page_token}"})
        if x_token:
            self.x = make_client(settings.x_api_url, {"Authorization": f"Bearer {x_token}"})

    def __call__(self, platform: str, ids: Sequence[str]) -> dict[str, Counts]:
        if platform in ("facebook", "instagram") and self.graph is not None:
            return self._graph(platform, ids)
        if platform == "x" and self.x is not None:
            return self._x(ids)
        return {}

    def _graph(self, platform: str, ids: Sequence[str]) -> dict[str, Counts]:
        assert self.graph is not None
        fields = "like_count,replies{id}" if platform == "instagram" else "like_count,comment_count"
        out = {}
        for object_id in ids:
            response = self.graph.get(object_id, params={"fields": fields})
            if response.status_code == 200:
                out[object_id] = parse_graph(platform, response.json())
            elif response.status_code >= 500 or response.status_code == 429:
                response.raise_for_status()  # the whole batch waits for the next round
            # 4xx: deleted or not ours any more; nothing to count
        return out

    def _x(self, ids: Sequence[str]) -> dict[str, Counts]:
        assert self.x is not None
        out: dict[str, Counts] = {}
        for start in range(0, len(ids), 100):
            chunk = ids[start : start + 100]
            response = self.x.get("tweets", params={"ids": ",".join(chunk), "tweet.fields": "public_metrics"})
            response.raise_for_status()
            out.update(parse_x(response.json()))
        return out

    def close(self) -> None:
        for client in (self.graph, self.x):
            if client is not None:
                client.close()


def make_reader(settings: Settings) -> tuple[Callable[[str, Sequence[str]], dict[str, Counts]], Callable[[], None]]:
    reader = EngagementReader(settings)
    return reader, reader.close
