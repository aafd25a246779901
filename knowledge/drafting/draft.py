"""Drafting entry points: `draft_reply` (plain inputs) and `draft_for_comment` (retrieves first)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from knowledge.drafting.guard import avoided_words, keep_known, leaks_prompt, same_content, unsupported_claims
from knowledge.drafting.llm import CANARY, SYSTEM_PROMPT, DraftingChain, LLMDraft, LLMError, LLMProposal, build_messages
from knowledge.drafting.offline import OfflineComposer
from knowledge.drafting.phrases import fill, other_lang_note, phrase
from knowledge.drafting.select import choose_answers, humor_allowed, situation
from knowledge.drafting.text import detect_lang, first_name, fits, limit_for, strip_emoji
from knowledge.drafting.types import CommentIn, Draft, PassageLike, ProposalDraft
from knowledge.drafting.wit import example_facts
from knowledge.personas.loader import get_persona
from knowledge.personas.model import Persona

log = logging.getLogger(__name__)
DEFAULT_TIMEOUT = 20.0
DEFAULT_RETRIES = 1


def reply_lang(triage: Any, text: str, default: str = "fr") -> str:
    """The comment's language (fr/en): triage's, else detected, else the brand's default."""
    lang = getattr(triage, "lang", None)
    if lang in ("fr", "en"):
        return str(lang)
    return detect_lang(text) or default


def check_proposal(
    proposal: LLMProposal,
    passages: Sequence[PassageLike],
    persona: Persona,
    lang: str,
    platform: str,
) -> tuple[str, list[str], list[str]] | str:
    """(text, kept citations, notes) when the model's proposal may be shown, else why it is refused."""
    text = proposal.text.strip()
    if not text:
        return "empty"
    if persona.emoji == "none":
        text = strip_emoji(text)
    kept, dropped = keep_known(proposal.cited_ids, (p.id for p in passages))
    notes = [f"unknown citations dropped: {', '.join(dropped)}"] if dropped else []
    cited_text = [f"{p.question} {p.answer}" for p in passages if p.id in kept]
    claims = unsupported_claims(text, cited_text)
    if claims:
        return f"promises what no cited passage says ({', '.join(sorted(claims))})"
    if leaks_prompt(text, SYSTEM_PROMPT, CANARY):
        return "repeats its instructions"
    if not fits(text, platform):
        return f"longer than {limit_for(platform)} characters"
    found = detect_lang(text) if len(text.split()) >= 4 else None
    if found is not None and found != lang:
        return f"written in {found}, not {lang}"
    bad = avoided_words(text, persona.avoid)
    if bad:
        return f"uses words the persona avoids ({', '.join(bad)})"
    return text, kept, notes


def _from_llm(
    answer: LLMDraft,
    offline: list[ProposalDraft],
    passages: Sequence[PassageLike],
    persona: Persona,
    lang: str,
    platform: str,
    creative_ok: bool,
) -> tuple[list[ProposalDraft], list[str]]:
    """The model's proposals that pass every check; a refused serious one is replaced by the offline one."""
    slots: list[tuple[LLMProposal | None, str, str]] = [
        (answer.serious, "serious", "main"),
        (answer.alternative, "serious", "alternative"),
        (answer.creative if creative_ok else None, "creative", "main"),
    ]
    out: list[ProposalDraft] = []
    notes: list[str] = []
    if answer.creative is not None and not creative_ok:
        notes.append("creative proposal dropped: humour is not safe here or the persona has none")
    edges = (fill(persona.greeting.get(lang), None), persona.signature.get(lang) if persona.signature else "")
    for proposal, kind, variant in slots:
        stand_in = next((p for p in offline if p.kind == kind and p.variant == variant), None)
        if proposal is None:
            if kind == "serious" and stand_in is not None:
                out.append(stand_in)
            continue
        checked = check_proposal(proposal, passages, persona, lang, platform)
        main = out[0] if out and variant == "alternative" else None
        if not isinstance(checked, str) and main is not None and same_content(checked[0], main.text, *edges):
            checked = "repeats the main proposal"
        if isinstance(checked, str):
            notes.append(f"{kind}/{variant} refused: {checked}")
            if kind == "serious" and stand_in is not None:
                out.append(stand_in.model_copy(update={"note": _join_notes(stand_in.note, "offline stand-in")}))
            continue
        text, kept, extra = checked
        extra += _adapted_notes(kept, passages, persona, lang)
        if kind == "creative":
            extra.insert(0, phrase("adapt_marker", lang, persona).strip("[]"))
        out.append(
            ProposalDraft(
                text=text,
                kind=kind,  # type: ignore[arg-type]
                variant=variant,  # type: ignore[arg-type]
                persona=persona.name,
                cited_ids=kept,
                lang=lang,
                note=_join_notes(*extra) or None,
            )
        )
    return out, notes


def _adapted_notes(cited: Sequence[str], passages: Sequence[PassageLike], persona: Persona, lang: str) -> list[str]:
    """The model wrote facts from an entry in the other language: the CM is told which one (never silent)."""
    return [
        other_lang_note(p, lang, persona, "adapted_note")
        for p in passages
        if p.id in cited and p.collection == "faq" and p.lang not in (None, lang)
    ]


def _join_notes(*notes: str | None) -> str:
    return " ".join(n for n in notes if n)


def draft_reply(
    comment: CommentIn | str,
    triage: Any,
    passages: Sequence[PassageLike] = (),
    persona: Persona | None = None,
    *,
    llm: Any | None = None,
    chain: DraftingChain | None = None,
    history: Sequence[str] = (),
    approved: Sequence[PassageLike] = (),
    no_answer: bool | None = None,
    threshold: float | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    default_lang: str = "fr",
    claims: Sequence[str] = (),
) -> Draft:
    """Proposals for one comment.

    `passages`: retrieved knowledge (faq answers, viral answers, approved replies); citations must be
    their ids. `no_answer`: the retriever's "nothing good enough" (None: judged from the scores).
    `llm`: a LangChain chat model, or None for the offline composer. `history`: the author's earlier
    comments to this brand. `approved`: replies the team approved for similar comments (few-shot).
    `claims`: the comment split into its claims by retrieval (each passage says which it answers).
    """
    started = time.perf_counter()
    if isinstance(comment, str):
        comment = CommentIn(text=comment)
    persona = persona or get_persona()
    lang = reply_lang(triage, comment.text, default_lang)
    composer = OfflineComposer(persona, private=comment.private)
    offline, notes = composer.compose(comment, triage, passages, lang, no_answer, threshold)
    if llm is None and chain is None:
        return Draft(proposals=offline, source="offline", latency_ms=_ms(started), notes=notes)
    sit = situation(triage, comment.text)
    if sit == "spam":
        return Draft(proposals=offline, source="offline", latency_ms=_ms(started), notes=notes)
    creative_ok = humor_allowed(triage, persona.humor, sit) and not comment.private
    # Without a good passage the model gets none: it can only invite to private messages.
    answerable = choose_answers(passages, lang, no_answer, threshold).ids
    usable = [p for p in passages if p.collection != "faq" or answerable]
    messages = build_messages(
        comment,
        triage,
        usable,
        persona,
        lang,
        limit_for(comment.reply_platform),
        creative_ok,
        history=history,
        approved=[*approved, *(p for p in passages if p.collection == "replies")],
        author=first_name(comment.author_name),
        claims=claims,
    )
    runner = chain or DraftingChain(llm, timeout=timeout, retries=retries)
    try:
        outcome = runner.invoke(messages)
    except LLMError as exc:
        log.warning("drafting LLM unusable, offline fallback: %s", exc)  # reasons only, never text
        return Draft(
            proposals=offline,
            source="llm_fallback",
            fallback_reason=str(exc),
            latency_ms=_ms(started),
            notes=notes,
        )
    proposals, checks = _from_llm(outcome.draft, offline, usable, persona, lang, comment.reply_platform, creative_ok)
    if not any(p.kind == "serious" for p in proposals):
        return Draft(
            proposals=offline,
            source="llm_fallback",
            fallback_reason="no usable proposal: " + "; ".join(checks),
            latency_ms=_ms(started),
            token_usage=outcome.usage,
            notes=notes,
        )
    if outcome.errors:
        checks.insert(0, f"succeeded after {outcome.attempts} attempts ({'; '.join(outcome.errors)})")
    return Draft(
        proposals=proposals,
        source="llm",
        latency_ms=_ms(started),
        token_usage=outcome.usage,
        notes=checks,
    )


def draft_for_comment(
    retriever: Any,
    brand: str,
    comment: CommentIn,
    triage: Any,
    persona: Persona | None = None,
    *,
    llm: Any | None = None,
    history: Sequence[str] = (),
    k: int = 5,
    **kwargs: Any,
) -> Draft:
    """Retrieve (FAQ, past viral answers, approved replies) then `draft_reply`; latency includes retrieval."""
    started = time.perf_counter()
    lang = reply_lang(triage, comment.text, kwargs.get("default_lang", "fr"))
    faq = retriever.search(brand, comment.text, k=k, lang=lang, kinds=("faq",))
    passages: list[PassageLike] = list(faq.passages)
    sit = situation(triage, comment.text)
    persona = persona or get_persona()
    if humor_allowed(triage, persona.humor, sit) and not comment.private:
        passages += retriever.search(brand, comment.text, k=3, lang=lang, kinds=("viral",)).passages
    facts = example_facts(persona, comment.text, lang) if sit in ("banter", "praise", "question", "other") else ""
    if facts:
        # The persona's example for such a comment says what to inform about: fetch that entry too.
        seen = {p.id for p in passages}
        extra = retriever.search(brand, facts, k=2, lang=lang, kinds=("faq",)).passages
        passages += [p for p in extra if p.id not in seen]
    approved = [] if llm is None else retriever.search(brand, comment.text, k=3, lang=lang, kinds=("replies",)).passages
    result = draft_reply(
        comment,
        triage,
        passages,
        persona,
        llm=llm,
        history=history,
        approved=approved,
        no_answer=faq.no_answer,
        threshold=faq.threshold,
        claims=list(getattr(faq, "claims", None) or []),
        **kwargs,
    )
    result.latency_ms = _ms(started)
    return result


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 3)
