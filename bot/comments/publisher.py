"""What the bot needs from a platform: the `Publisher` protocol (implemented in api/platforms/)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class CommentRef:
    """Enough of a stored comment for a platform call (no database objects cross this line)."""

    brand: str
    platform: str  # facebook | instagram | x | other
    external_id: str
    author_id: str
    post_id: str | None = None
    parent_id: str | None = None


@dataclass(frozen=True)
class Published:
    platform_id: str  # the id the platform gave our reply
    url: str | None = None


class PublishError(Exception):
    """A platform refused or failed. `retryable` False means a retry cannot heal it (expired token,
    missing permission, comment deleted): the team is told in plain words and a person decides."""

    def __init__(self, message: str, *, retryable: bool, code: str | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


class Publisher(Protocol):
    """One per platform. Every method raises `PublishError` on failure."""

    def reply(self, comment: CommentRef, text: str) -> Published: ...

    def private_reply(self, comment: CommentRef, text: str) -> Published: ...

    def find_reply(self, comment: CommentRef, text: str) -> Published | None:
        """Our public reply `text` to the comment if the platform already has it (an earlier try whose
        answer was lost), read back from the platform; None when it is not there or cannot be read."""
        ...

    def hide(self, comment: CommentRef, hidden: bool = True) -> None: ...

    def delete(self, comment: CommentRef) -> None: ...


class RecordingPublisher:
    """For a platform with no connector configured: the reply is kept in the database (the
    publication row) and nothing leaves the machine; the Slack message says so."""

    NOTE = "enregistré, non envoyé (aucun connecteur) · recorded, not sent (no connector)"

    def reply(self, comment: CommentRef, text: str) -> Published:
        return Published(platform_id=f"recorded:{comment.platform}:{comment.external_id}")

    def private_reply(self, comment: CommentRef, text: str) -> Published:
        return Published(platform_id=f"recorded-private:{comment.platform}:{comment.author_id}")

    def find_reply(self, comment: CommentRef, text: str) -> Published | None:
        return None  # nothing left the machine

    def hide(self, comment: CommentRef, hidden: bool = True) -> None:
        return None

    def delete(self, comment: CommentRef) -> None:
        return None
