"""The bot's one door to `knowledge/`: triage, retrieval, drafting (review proposals and the
follow-ups of a resolved case) and personas, wired into the bot's hooks.

Each part is built once per process. The pipeline only runs the steps whose part exists. The
imports of `knowledge` parts are deferred: they load models and Chroma, which a process that never
triages or drafts (the CLI's database commands, a test of the listeners) should not pay for
(importing knowledge.triage takes about 5 s).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.comments.casefile import FOLLOWUP, Case, author_history
from bot.comments.messages import GENERIC_NAMES
from bot.comments.steps import Classify, Drafter, ProposalSpec
from bot.db import session_scope
from bot.models import Comment, Proposal, TriageCorrection
from bot.settings import Settings, SettingsError
from bot.slack.services import KbHit, PersonaInfo

log = logging.getLogger(__name__)


@dataclass
class Brain:
    classify: Classify | None = None
    drafter: Drafter | None = None
    kb_search: Callable[[str, str], Sequence[KbHit]] | None = None
    on_correction: Callable[[str, dict[str, Any]], None] | None = None
    # Privacy (#23): drops the corrections made on these texts from the live model (their author was erased).
    forget_corrections: Callable[[Collection[str]], int] | None = None
    personas: Callable[[], Sequence[PersonaInfo]] = field(default=tuple)
    default_persona: str = "informatif"
    store: Any | None = None  # the knowledge store, shared with /api/knowledge
    llm: Any | None = None  # the chat model of SOWANA_LLM (follow-ups after a resolution use it too); None offline


def chat_model(settings: Settings) -> Any | None:
    """The LangChain chat model for SOWANA_LLM, or None offline. A missing provider package stops start-up."""
    if settings.llm == "offline":
        return None
    from knowledge.triage import make_chat_model  # deferred: see the module's docstring

    try:
        return make_chat_model(settings.llm)
    except (RuntimeError, ValueError) as exc:
        raise SettingsError(f"SOWANA_LLM: {exc}") from None


def build_retriever(settings: Settings, store: Any) -> Any:
    """The retriever over `store`, with the second encoder SOWANA_SECOND_ENCODER names (a missing package
    stops start-up with the variable's name)."""
    from knowledge.retrieval import Retriever  # deferred: see the module's docstring
    from knowledge.second_encoder import second_encoder_named

    try:
        return Retriever(store, second=second_encoder_named(settings.second_encoder))
    except (RuntimeError, ValueError) as exc:
        raise SettingsError(f"SOWANA_SECOND_ENCODER: {exc}") from None


def parent_text(engine: Engine, comment: Comment) -> str | None:
    if not comment.parent_id:
        return None
    with session_scope(engine) as s:
        parent = s.exec(
            select(Comment).where(
                col(Comment.brand) == comment.brand,
                col(Comment.platform) == comment.platform,
                col(Comment.external_id) == comment.parent_id,
            )
        ).first()
        return parent.text if parent else None


CORRECTIONS_CHECK_SECONDS = 1.0  # how often a process looks for corrections made through the others
RECENT_IDS = 100  # corrections looked at again each time (see Corrections.learn_now)


class Corrections:
    """The team's triage corrections, shared by every process through the database (`TriageCorrection`):
    the triager learns each new row once, whichever process recorded it. Looking costs one indexed
    query for ids past the last one learnt, at most once per CORRECTIONS_CHECK_SECONDS while triaging;
    a correction made here is learnt at once (`learn_now`)."""

    def __init__(
        self,
        engine: Engine,
        learn: Callable[[list[TriageCorrection]], None],
        forget: Callable[[Collection[str]], int] | None = None,
    ) -> None:
        self.engine, self._learn, self._forget = engine, learn, forget
        self._learnt: dict[int, str] = {}  # id -> text: what to forget if the row is deleted
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def learn_now(self) -> int:
        """Learn every correction recorded since the last look; returns how many."""
        with self._lock:
            # Ids are handed out at insert but rows appear at commit: two corrections recorded at the
            # same moment may appear out of order, so the last RECENT_IDS ids are looked at again (ids
            # only; a row is read once, when first seen).
            since = max(self._learnt, default=0) - RECENT_IDS
            with session_scope(self.engine) as s:
                ids = s.exec(select(TriageCorrection.id).where(col(TriageCorrection.id) > since)).all()
                new = sorted({i for i in ids if i is not None} - self._learnt.keys())
                found = s.exec(select(TriageCorrection).where(col(TriageCorrection.id).in_(new))) if new else ()
                rows = list(found)
                for row in rows:
                    s.expunge(row)
                # An erasure (bot/privacy) deletes a person's corrections, in whichever process: fewer
                # rows than learnt means some went, and only then are all ids read to find which.
                total = s.exec(select(func.count()).select_from(TriageCorrection)).one()
                gone: list[int] = []
                if total < len(self._learnt) + len(rows):
                    present = set(s.exec(select(TriageCorrection.id)).all())
                    gone = [i for i in self._learnt if i not in present]
            self._checked = time.monotonic()
            if rows:
                self._learn(sorted(rows, key=lambda r: r.id or 0))
                self._learnt.update({r.id: r.text for r in rows if r.id is not None})
            if gone and self._forget is not None:
                self._forget([self._learnt.pop(i) for i in gone])
            return len(rows)

    def refresh(self) -> None:
        """`learn_now`, unless this process looked less than CORRECTIONS_CHECK_SECONDS ago."""
        if time.monotonic() - self._checked >= CORRECTIONS_CHECK_SECONDS:
            self.learn_now()


def build_triage(
    engine: Engine, llm: Any | None
) -> tuple[Classify, Callable[[str, dict[str, Any]], None], Callable[[Collection[str]], int]]:
    from knowledge.triage import TriageInput, Triager  # deferred: see the module's docstring

    triager = Triager()
    if llm is not None:
        triager = triager.with_llm(llm)

    def add(rows: list[TriageCorrection]) -> None:
        triager.add_corrections({"text": row.text, "labels": row.labels} for row in rows)

    corrections = Corrections(engine, add, triager.forget_corrections)
    corrections.learn_now()  # corrections the team made before this start

    def classify(comment: Comment) -> tuple[dict[str, Any], str]:
        try:
            corrections.refresh()
        except Exception as exc:  # the database is away: triage with what is learnt, look next time
            log.warning("triage corrections not refreshed: %s", type(exc).__name__)
        result = triager.triage(
            TriageInput(
                text=comment.text,
                platform=comment.platform,
                # Meta's messaging webhooks carry no name: "Messenger user" is nobody's first name.
                author_name=None if comment.author_name in GENERIC_NAMES else comment.author_name,
                parent_text=parent_text(engine, comment),
            )
        )
        return result.model_dump(mode="json"), result.source

    def learn(text: str, labels: dict[str, Any]) -> None:
        # The correction is already recorded (decisions.correct_triage): learn it from its row, like the
        # other processes do, so it is never learnt twice here.
        corrections.learn_now()

    return classify, learn, triager.forget_corrections


def build_personas(loaded: dict[str, Any]) -> Callable[[], Sequence[PersonaInfo]]:
    infos = [PersonaInfo(name=p.name, description=p.describe("fr"), humor=p.humor) for p in loaded.values()]
    return lambda: infos


def earlier_texts(engine: Engine, comment: Comment, limit: int = 5) -> list[str]:
    """The author's earlier comments to this brand, oldest first: context for the LLM's draft."""
    return [h.text for h in reversed(author_history(engine, comment, limit, earlier_only=True))]


def build_drafter(engine: Engine, retriever: Any, personas: dict[str, Any], default: str, llm: Any | None) -> Drafter:
    # deferred: see the module's docstring
    from knowledge.drafting import CommentIn, draft_for_comment
    from knowledge.triage import TriageResult

    def drafter(comment: Comment, triage: dict[str, Any] | None, persona: str) -> Sequence[ProposalSpec]:
        if triage is None:
            return []  # nothing to draft from without a triage; the message says "no proposal"
        chosen = personas.get(persona) or personas[default]
        draft = draft_for_comment(
            retriever,
            comment.brand,
            CommentIn(
                text=comment.text,
                platform=comment.platform,
                # Meta's messaging webhooks carry no name: "Messenger user" is nobody's first name.
                author_name=None if comment.author_name in GENERIC_NAMES else comment.author_name,
                parent_text=parent_text(engine, comment),
                brand=comment.brand,
                private=comment.private,
            ),
            TriageResult.model_validate(triage),
            chosen,
            llm=llm,
            history=earlier_texts(engine, comment),
        )
        return [
            ProposalSpec(
                text=p.text,
                kind=p.kind,
                persona=p.persona,
                cited_ids=list(p.cited_ids),
                source=draft.source,
                variant=p.variant,
                note=p.note,
            )
            for p in draft.proposals
        ]

    return drafter


def build_kb_search(retriever: Any) -> Callable[[str, str], Sequence[KbHit]]:
    def search(brand: str, question: str) -> Sequence[KbHit]:
        result = retriever.search(brand, question, k=3)
        if result.no_answer:
            return []
        return [KbHit(id=p.id, score=p.score, question=p.question, answer=p.answer) for p in result.passages]

    return search


def build_brain(settings: Settings, engine: Engine) -> Brain:
    # deferred: see the module's docstring
    from knowledge.personas.loader import load_personas
    from knowledge.store import open_store

    llm = chat_model(settings)
    classify, learn, forget = build_triage(engine, llm)
    personas = load_personas()
    store = open_store(settings.chroma_path, settings.chroma_url, **settings.chroma_client())
    retriever = build_retriever(settings, store)
    default = "informatif" if "informatif" in personas else next(iter(personas))
    return Brain(
        classify=classify,
        drafter=build_drafter(engine, retriever, personas, default, llm),
        kb_search=build_kb_search(retriever),
        on_correction=learn,
        forget_corrections=forget,
        personas=build_personas(personas),
        default_persona=default,
        store=store,
        llm=llm,
    )


def draft_followups(case: Case, targets: tuple[str, ...], llm: Any | None = None) -> list[Proposal]:
    """Follow-up proposals (not yet saved) for a resolved case, in the customer's language.
    `llm`: the configured chat model (SOWANA_LLM) writes them, checked, with the templates as fallback.
    A `message` (the follow-up of a direct message's case, #24) is drafted as the private follow-up."""
    # deferred: see the module's docstring
    from knowledge.drafting.followup import followup_drafts
    from knowledge.drafting.text import limit_for

    esc, c = case.escalation, case.comment
    assert esc is not None and c.id is not None
    lang = (case.triage.result or {}).get("lang") if case.triage and case.triage.result else None
    drafts = followup_drafts(
        lang=str(lang or "fr"),
        author_name=c.author_name,
        note=esc.resolution_note or "",
        targets=tuple("private_reply" if t == "message" else t for t in targets),
        public_limit=limit_for(c.platform),
        llm=llm,
    )
    return [
        Proposal(
            brand=c.brand,
            comment_id=c.id,
            text=d.text,
            persona="sac",
            kind="serious",
            variant=FOLLOWUP,
            target="message" if "message" in targets else d.target,
            note=d.note,
            source="followup",
            round=0,  # outside the review rounds: a ✅ on the review message never approves one
        )
        for d in drafts
    ]
