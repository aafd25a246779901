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
class ConversationRef:
    """Enough of a private conversation to send a message into it (#24)."""

    brand: str
    platform: str  # facebook (Messenger) | instagram (Instagram Direct) | x | other
    participant_id: str  # the person: Messenger PSID, Instagram IGSID, X user id
    account_id: str | None = None  # the brand's page / Instagram account / X account that talks
    conversation_id: str | None = None  # X dm_conversation_id when known
    # A Meta message tag (HUMAN_AGENT) for a reply past the standard 24-hour window; None = a standard reply.
    tag: str | None = None


@dataclass(frozen=True)
class Published:
    platform_id: str  # the id the platform gave our reply
    url: str | None = None
    # Who a private reply or message reached, in the platform's messaging ids (Meta answers a private
    # reply to a comment with the person's PSID / IGSID): links the comment to the conversation that follows.
    recipient_id: str | None = None


class PublishError(Exception):
    """A platform refused or failed. `retryable` False means a retry cannot heal it (expired token,
    missing permission, comment deleted): the team is told in plain words and a person decides.

    Codes the bot acts on: `window_closed` (a message outside the platform's reply window),
    `recipient_unavailable` (the person blocked the account or cannot receive messages),
    `dm_not_permitted` (X: the person does not accept messages from the account), `rate_limited`,
    `private_reply_used`."""

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

    def send_message(self, to: ConversationRef, text: str) -> Published:
        """A message in a private conversation (Messenger / Instagram Send API, X DM)."""
        ...

    def find_message(self, to: ConversationRef, text: str) -> Published | None:
        """Our message `text` in the conversation if the platform already has it (an earlier try whose
        answer was lost); None when it is not there or cannot be read."""
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

    def send_message(self, to: ConversationRef, text: str) -> Published:
        return Published(platform_id=f"recorded-message:{to.platform}:{to.participant_id}")

    def find_message(self, to: ConversationRef, text: str) -> Published | None:
        return None

    def hide(self, comment: CommentRef, hidden: bool = True) -> None:
        return None

    def delete(self, comment: CommentRef) -> None:
        return None
