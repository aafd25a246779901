"""`publisher_for(platform, settings)`: the `Publisher` for a comment's platform.

Publishers hold an httpx client (connection pool): build them once per process and reuse them.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from api.platforms.generic import GenericPublisher
from api.platforms.meta import MetaPublisher
from api.platforms.x import XPublisher
from bot.comments.publisher import Publisher
from bot.settings import Settings, reveal


def publisher_for(platform: str, settings: Settings, *, engine: Engine | None = None) -> Publisher:
    if platform in ("facebook", "instagram"):
        return MetaPublisher(graph_url=settings.meta_graph_url, page_token=reveal(settings.meta_page_token))
    if platform == "x":
        return XPublisher(api_url=settings.x_api_url, bearer_token=reveal(settings.x_bearer_token))
    if platform == "other":
        if engine is None:
            raise ValueError("the 'other' publisher records to the database: pass engine=")
        return GenericPublisher(engine)
    raise ValueError(f"no publisher for platform {platform!r}")


class Publishers:
    """One publisher per platform, built on first use and shared (Meta covers Facebook and Instagram)."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings, self.engine = settings, engine
        self._made: dict[str, Publisher] = {}

    def __call__(self, platform: str) -> Publisher:
        key = "meta" if platform in ("facebook", "instagram") else platform
        if key not in self._made:
            self._made[key] = publisher_for(platform, self.settings, engine=self.engine)
        return self._made[key]

    def close(self) -> None:
        for pub in self._made.values():
            close = getattr(pub, "close", None)
            if close is not None:
                close()
        self._made.clear()
