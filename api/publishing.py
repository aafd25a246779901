"""Which `Publisher` a comment's reply goes through: a platform's connector when its credentials are
configured, else a recorder that keeps the reply in the database and says so in Slack."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine

from api.platforms.registry import Publishers
from bot.comments.publisher import Publisher, RecordingPublisher
from bot.settings import Settings


def configured(settings: Settings, platform: str) -> bool:
    if platform in ("facebook", "instagram"):
        return bool(settings.meta_page_token)
    if platform == "x":
        return bool(settings.x_bearer_token)
    return platform == "other"


def make_publisher_for(
    settings: Settings, engine: Engine
) -> tuple[Callable[[str, str], Publisher], Callable[[], None]]:
    """(publisher_for(brand, platform), close)."""
    publishers = Publishers(settings, engine)
    recording = RecordingPublisher()

    def publisher_for(_brand: str, platform: str) -> Publisher:
        return publishers(platform) if configured(settings, platform) else recording

    return publisher_for, publishers.close
