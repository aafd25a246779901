"""Erasing comments: what a person wrote, their name and ids, and everything built from it.

`redact_in` does the database part in the caller's transaction and says what else must go (Chroma
entries, the model's corrections, Slack messages); `Eraser` applies all of it, for a person (a request)
or for comments past the retention limit. The rows stay, emptied, so the statistics still count them
(states, timings, decisions); the audit log records the erasure by comment ids only.

Direct messages (#24) are comments with `private=True`: a person's erasure also takes their messages and
their conversation rows, found by either of the ids a conversation links (the messaging id and the
public author id, e.g. a Messenger PSID begun by a private reply to a Facebook comment)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import and_, delete, or_, select, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from bot.blocks.privacy import ERASED, erased_message
from bot.blocks.text import as_text
from bot.comments.lifecycle import audit
from bot.db import session_scope
from bot.models import (
    Comment,
    Conversation,
    Decision,
    Engagement,
    Escalation,
    Proposal,
    Publication,
    SlackOutgoing,
    SlackPost,
    StormGroup,
    ThreadMessage,
    TriageCorrection,
    TriageRecord,
    utcnow,
)
from bot.storm.bulk import group_place, summary_content

log = logging.getLogger(__name__)

# What an erasure counts, always all of them (zero the second time).
KINDS = (
    "comments",
    "proposals",
    "edits",
    "replies",
    "case_notes",
    "thread_notes",
    "triage_corrections",
    "knowledge_entries",
    "slack_messages",
    "conversations",  # private conversation rows deleted (#24)
    "not_done",  # Chroma entries or Slack messages that could not be removed or updated (the log names them)
)
# Triage keys that are labels (kept for the statistics); free text the classifier wrote is dropped.
_TRIAGE_FREE_TEXT = ("moderation_reason",)


@dataclass(frozen=True)
class Person:
    brand: str
    platform: str
    author_id: str


@dataclass
class Redaction:
    """What one erasure changed (counts by kind) and what is left to do outside the database."""

    comment_ids: list[int] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    knowledge_ids: list[tuple[str, str]] = field(default_factory=list)  # (brand, Chroma entry id)
    correction_texts: set[str] = field(default_factory=set)  # the live model forgets these
    slack_messages: list[tuple[str, str, int]] = field(default_factory=list)  # (channel, ts, comment id)
    storm_groups: set[int] = field(default_factory=set)  # storm summaries that list these comments

    def summary(self) -> dict[str, int]:
        return {kind: self.counts[kind] for kind in KINDS}


def written_by(person: Person) -> list[Any]:
    """Where-clauses of the person's comments with this brand on this platform, not yet erased."""
    return [
        col(Comment.brand) == person.brand,
        col(Comment.platform) == person.platform,
        col(Comment.author_id) == person.author_id,
        col(Comment.erased_at).is_(None),
    ]


def comments_of(s: Session, person: Person) -> list[int]:
    return [int(r) for r in s.execute(select(col(Comment.id)).where(*written_by(person))).scalars()]


def conversations_of(s: Session, person: Person) -> list[Conversation]:
    """The person's private conversations with the brand on the platform: by their messaging id or by
    the public author id the conversation was begun from."""
    return list(
        s.execute(
            select(Conversation)
            .where(
                col(Conversation.brand) == person.brand,
                col(Conversation.platform) == person.platform,
                or_(
                    col(Conversation.participant_id) == person.author_id,
                    col(Conversation.author_id) == person.author_id,
                ),
            )
            .order_by(col(Conversation.id))
        ).scalars()
    )


def identities(person: Person, conversations: Sequence[Conversation]) -> list[str]:
    """Every id the person goes by with this brand on this platform: theirs, and both ids of each of
    their conversations (one person, known to Meta by an app-scoped id in public and a PSID in private)."""
    ids = {person.author_id}
    for c in conversations:
        ids.update(i for i in (c.participant_id, c.author_id) if i)
    return sorted(ids)


def held_about(s: Session, person: Person) -> tuple[list[int], list[Conversation]]:
    """(ids of the comments and direct messages held about the person, not yet erased; their
    conversations). Messages shown in the person's review threads (`thread_of`) are theirs too."""
    conversations = conversations_of(s, person)
    ids = identities(person, conversations)
    mine = select(col(Comment.id)).where(
        col(Comment.brand) == person.brand,
        col(Comment.platform) == person.platform,
        col(Comment.author_id).in_(ids),
        col(Comment.erased_at).is_(None),
    )
    found = {int(r) for r in s.execute(mine).scalars()}
    anchors = found | {int(c.anchor_id) for c in conversations if c.anchor_id is not None}
    if anchors:
        threaded = select(col(Comment.id)).where(
            col(Comment.brand) == person.brand,
            col(Comment.private).is_(True),
            col(Comment.thread_of).in_(sorted(anchors)),
            col(Comment.erased_at).is_(None),
        )
        found |= {int(r) for r in s.execute(threaded).scalars()}
    return sorted(found), conversations


def _empty(s: Session, table: Any, ids: list[int], *columns: str, **also: Any) -> int:
    """NULL these text columns of the rows of these comments (counting the rows that had any)."""
    holds = or_(*(getattr(table, c).is_not(None) for c in columns))
    statement = update(table).where(table.comment_id.in_(ids), holds).values({**dict.fromkeys(columns), **also})
    return _count(s.execute(statement))


def _count(result: Any) -> int:
    return max(int(result.rowcount or 0), 0)


def redact_in(s: Session, comment_ids: Sequence[int]) -> Redaction:
    """Empty these comments and what quotes them, in the caller's transaction."""
    out = Redaction()
    if not comment_ids:
        return out
    now = utcnow()
    rows = s.execute(select(col(Comment.id), col(Comment.text)).where(col(Comment.id).in_(list(comment_ids))))
    before = {int(i): text for i, text in rows}
    # Compare-and-set on erased_at: of two passes over the same comments at once (a retention pass in
    # each process, an erasure from the API and the CLI), the second waits for the first's row locks,
    # then finds them erased and redacts, counts and updates Slack for nothing twice.
    erased = s.execute(
        update(Comment)
        .where(col(Comment.id).in_(list(comment_ids)), col(Comment.erased_at).is_(None))
        .values(
            text="",
            author_name="",
            author_id="",
            url=None,
            attachments=None,  # a message's links to the person's files
            failure_reason=None,
            erased_at=now,
            updated_at=now,
        )
        .returning(col(Comment.id))
    )
    ids = sorted(int(i) for i in erased.scalars())
    out.comment_ids = ids
    out.counts["comments"] = len(ids)
    if not ids:
        return out
    texts = [before[i] for i in ids if before.get(i)]
    for record in s.execute(select(TriageRecord).where(col(TriageRecord.comment_id).in_(ids))).scalars():
        if record.result and any(k in record.result for k in _TRIAGE_FREE_TEXT):
            record.result = {k: v for k, v in record.result.items() if k not in _TRIAGE_FREE_TEXT}
            s.add(record)
    out.counts["proposals"] = _count(
        s.execute(update(Proposal).where(col(Proposal.comment_id).in_(ids)).values(text=ERASED, note=None))
    )
    out.counts["edits"] = _empty(s, Decision, ids, "original_text", "edited_text")
    pubs = list(
        s.execute(select(col(Publication.id), col(Publication.brand)).where(col(Publication.comment_id).in_(ids)))
    )
    out.counts["replies"] = _count(
        s.execute(update(Publication).where(col(Publication.comment_id).in_(ids)).values(text=ERASED, last_error=None))
    )
    out.counts["case_notes"] = _empty(s, Escalation, ids, "note", "resolution_note", updated_at=now)
    out.counts["thread_notes"] = _count(
        s.execute(update(ThreadMessage).where(col(ThreadMessage.comment_id).in_(ids)).values(text=ERASED))
    )
    corrections = list(s.execute(select(TriageCorrection).where(col(TriageCorrection.comment_id).in_(ids))).scalars())
    out.correction_texts = {c.text for c in corrections}
    out.counts["triage_corrections"] = len(corrections)
    s.execute(delete(TriageCorrection).where(col(TriageCorrection.comment_id).in_(ids)))
    # Viral answers and approved replies in Chroma: the entry of each reply to these comments.
    pub_ids = [int(p[0]) for p in pubs]
    viral = {
        (row.brand, row.viral_entry_id)
        for row in s.execute(select(Engagement).where(col(Engagement.publication_id).in_(pub_ids))).scalars()
        if row.viral_entry_id
    }
    out.knowledge_ids = sorted(viral | {(str(brand), f"reply-{pid}") for pid, brand in pubs})
    if pub_ids:
        s.execute(
            update(Engagement)
            .where(col(Engagement.publication_id).in_(pub_ids))
            .values(viral_entry_id=None, viral_removed_at=now)  # never added again
        )
    # Slack: every message Sowana posted about these comments, and what waits to be posted. A line in
    # one of their review threads counts too (a direct message quoted there, #24), whatever it is about.
    thread_line = or_(
        col(SlackOutgoing.comment_id).in_(ids),
        and_(col(SlackOutgoing.kind) == "message", col(SlackOutgoing.thread_of).in_(ids)),
    )
    posts = s.execute(select(SlackPost).where(col(SlackPost.comment_id).in_(ids), col(SlackPost.kind) != "storm"))
    out.slack_messages = [(p.channel, p.ts, p.comment_id) for p in posts.scalars() if p.ts]
    lines = s.execute(
        select(SlackOutgoing).where(
            thread_line,
            col(SlackOutgoing.kind) == "message",
            col(SlackOutgoing.status) == "sent",
        )
    )
    for j in lines.scalars():
        about = j.comment_id or j.thread_of
        if j.ts and about:
            out.slack_messages.append((j.channel, j.ts, about))
    out.counts["slack_messages"] = len(out.slack_messages)
    erased_text = as_text(erased_message(None)[0])
    s.execute(
        update(SlackOutgoing)
        .where(thread_line, col(SlackOutgoing.text).is_not(None))
        .values(text=erased_text, blocks=None)
    )
    # Thread lines not sent yet go no more; cards, follow-ups and reviews waiting render as erased.
    s.execute(
        update(SlackOutgoing)
        .where(
            thread_line,
            col(SlackOutgoing.kind) == "message",
            col(SlackOutgoing.status).in_(["pending", "grouped"]),
        )
        .values(status="cancelled", last_error="erased")
    )
    grouped = s.execute(
        select(col(SlackOutgoing.group_id)).where(
            col(SlackOutgoing.comment_id).in_(ids), col(SlackOutgoing.group_id).is_not(None)
        )
    )
    out.storm_groups = {int(g) for g in grouped.scalars() if g is not None}
    for group in s.execute(select(StormGroup).where(col(StormGroup.id).in_(out.storm_groups))).scalars():
        if any(t in group.label for t in texts):  # the summary's sample is a member's text
            group.label = ERASED
            s.add(group)
    return out


class KnowledgeDeleter(Protocol):
    def delete(self, brand: str, entry_id: str, kind: str | None = None) -> bool: ...


class SlackUpdater(Protocol):
    def chat_update(self, *, channel: str, ts: str, text: str, blocks: Any) -> Any: ...


@dataclass
class Eraser:
    """Applies an erasure everywhere: the database, Chroma, the live triage model, Slack.

    Slack messages are updated through the bot's Web API client, whose retry handler waits out Slack's
    429s (`Retry-After`): at Slack's pace, nothing skipped."""

    engine: Engine
    store: KnowledgeDeleter | None = None
    forget_corrections: Callable[[Collection[str]], int] | None = None
    slack: SlackUpdater | None = None

    def erase_person(self, person: Person, *, actor: str) -> dict[str, int]:
        """Erase one person's data with one brand; answers what was erased, by kind. Twice is fine (zeros)."""
        with session_scope(self.engine, write=True) as s:
            comment_ids, conversations = held_about(s, person)
            done = redact_in(s, comment_ids)
            # Nothing left that names them: the conversation rows hold their ids, and go.
            done.counts["conversations"] = _count(
                s.execute(delete(Conversation).where(col(Conversation.id).in_([c.id for c in conversations])))
            )
            audit(
                s,
                brand=person.brand,
                actor=actor,
                action="privacy_erase",
                detail={"platform": person.platform, "comment_ids": done.comment_ids, "counts": done.summary()},
            )
        return self._finish(done)

    def erase_comments(self, brand: str, comment_ids: Sequence[int], *, actor: str, action: str) -> dict[str, int]:
        with session_scope(self.engine, write=True) as s:
            done = redact_in(s, comment_ids)
            audit(s, brand=brand, actor=actor, action=action, detail={"counts": done.summary()})
        return self._finish(done)

    def _finish(self, done: Redaction) -> dict[str, int]:
        if self.store is not None:
            removed = 0
            for brand, entry_id in done.knowledge_ids:
                try:
                    removed += bool(self.store.delete(brand, entry_id))
                except Exception:  # the store is down: counted and logged (DELETE /api/knowledge/{id} removes it)
                    log.exception("privacy: knowledge entry %s could not be deleted", entry_id)
                    done.counts["not_done"] += 1
            done.counts["knowledge_entries"] = removed
        if self.forget_corrections is not None and done.correction_texts:
            self.forget_corrections(done.correction_texts)
        if self.slack is not None:
            for channel, ts, comment_id in done.slack_messages:
                fallback, blocks = erased_message(comment_id)
                try:
                    self.slack.chat_update(channel=channel, ts=ts, text=as_text(fallback), blocks=blocks)
                except Exception:  # Slack refused or stayed away past the client's retries: counted and logged
                    log.exception("privacy: Slack message %s in %s could not be updated", ts, channel)
                    done.counts["not_done"] += 1
                    done.counts["slack_messages"] -= 1
            for group_id in sorted(done.storm_groups):  # re-rendered from the emptied rows
                self._refresh_storm(group_id)
        compact(self.engine)
        if done.comment_ids:
            log.info("privacy: %d comments erased (%s)", len(done.comment_ids), done.summary())
        return done.summary()

    def _refresh_storm(self, group_id: int) -> None:
        assert self.slack is not None
        channel, ts, _members = group_place(self.engine, group_id)
        if not ts:
            return  # not in Slack yet: it renders from the emptied rows when it leaves
        fallback, blocks = summary_content(self.engine, group_id)
        try:
            self.slack.chat_update(channel=channel, ts=ts, text=as_text(fallback), blocks=blocks)
        except Exception:
            log.exception("privacy: storm summary %s in %s could not be updated", ts, channel)


def compact(engine: Engine) -> None:
    """SQLite: move what the write-ahead log holds into the file (where secure_delete zeroed the old
    text) and empty the log, so no erased byte stays in either file."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
