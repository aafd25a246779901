"""The offline composer (SOWANA_LLM=offline): deterministic replies from retrieved answers and persona phrases.

Facts come only from FAQ passages, quoted as written. Without a good passage the reply moves the
conversation to private messages or to customer service. Wit is never written here: a creative
proposal is a past viral answer offered as inspiration, marked "to adapt".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from knowledge.drafting.guard import avoided_words
from knowledge.drafting.phrases import LANG_NAMES, fill, phrase
from knowledge.drafting.select import (
    COMPLAINT_MARGIN,
    AnswerChoice,
    Situation,
    choose_answer,
    choose_viral,
    humor_allowed,
    is_strong,
    mentions_self_harm,
    situation,
)
from knowledge.drafting.text import first_name, fits, join, sentences, strip_emoji
from knowledge.drafting.types import CommentIn, PassageLike, ProposalDraft
from knowledge.personas.model import Persona

_VOUS = re.compile(r"\b(vous|votre|vos)\b", re.IGNORECASE)


@dataclass
class Part:
    """A piece of a reply. Optional parts go first when the platform's limit is tight (lowest `drop` first)."""

    text: str
    drop: int | None = None
    answer: bool = False  # a FAQ answer may lose trailing sentences, never be cut mid-sentence


def assemble(parts: Sequence[Part], platform: str) -> tuple[str, bool] | None:
    """(text, shortened) within the platform's limit, or None when even the essentials don't fit."""
    live = [Part(p.text, p.drop, p.answer) for p in parts if p.text.strip()]
    shortened = False
    while True:
        text = _flow(live)
        if fits(text, platform):
            return text, shortened
        optional = [p for p in live if p.drop is not None]
        if optional:
            live.remove(min(optional, key=lambda p: p.drop or 0))
            shortened = True
            continue
        answer = next((p for p in live if p.answer and len(sentences(p.text)) > 1), None)
        if answer is None:
            return None
        answer.text = join(*sentences(answer.text)[:-1])
        shortened = True


def _flow(parts: Sequence[Part]) -> str:
    """Join parts; after a greeting ending in a comma, our phrase continues in lower case, while a
    FAQ answer (which may open on a proper noun) gets its own sentence: "Bonjour Julie! Panier Boréal…"."""
    texts = [p.text.strip() for p in parts]
    for i in range(len(texts) - 1):
        if texts[i].endswith(","):
            nxt = texts[i + 1]
            if parts[i + 1].answer or not nxt or re.match(r"[A-ZÀ-Ý]{2}|I\b", nxt):
                texts[i] = texts[i][:-1] + "!"
            else:
                texts[i + 1] = nxt[0].lower() + nxt[1:]
    return join(*texts)


@dataclass
class Composed:
    text: str
    cited: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class OfflineComposer:
    """Composes the serious reply, its alternative, and (when allowed) a creative inspiration."""

    def __init__(self, persona: Persona) -> None:
        self.persona = persona

    def _p(self, key: str, lang: str, name: str | None = None, **values: str) -> str:
        return phrase(key, lang, self.persona, name, **values)

    def _greeting(self, lang: str, name: str | None, sober: bool = False) -> str:
        if sober:
            return self._p("sober_greeting", lang, name)
        return fill(self.persona.greeting.get(lang), name)

    def _signature(self, lang: str) -> str:
        return self.persona.signature.get(lang) if self.persona.signature else ""

    def compose(
        self,
        comment: CommentIn,
        triage: Any,
        passages: Sequence[PassageLike],
        lang: str,
        no_answer: bool | None = None,
        threshold: float | None = None,
    ) -> tuple[list[ProposalDraft], list[str]]:
        """(proposals, notes about the draft as a whole)."""
        sit = situation(triage, comment.text)
        if sit == "spam":
            return [], ["spam: nothing to answer (hide it)" if lang == "en" else "spam : rien à répondre (à masquer)"]
        name = first_name(comment.author_name)
        choice = choose_answer(passages, lang, no_answer, threshold)
        main, alt = self._serious(sit, comment, triage, choice, lang, name, threshold)
        proposals = [self._finish(main, "main", comment, lang), self._finish(alt, "alternative", comment, lang)]
        notes: list[str] = []
        if humor_allowed(triage, self.persona.humor, sit):
            creative = self._creative(passages, comment, lang)
            if creative is not None:
                proposals.append(creative)
            else:
                notes.append(
                    "no past viral answer close enough to inspire a creative reply"
                    if lang == "en"
                    else "aucune réponse virale passée assez proche pour inspirer une réponse créative"
                )
        return [p for p in proposals if p is not None], notes

    # -- serious ---------------------------------------------------------------------------------

    def _serious(
        self,
        sit: Situation,
        comment: CommentIn,
        triage: Any,
        choice: AnswerChoice,
        lang: str,
        name: str | None,
        threshold: float | None,
    ) -> tuple[tuple[list[Part], Composed], tuple[list[Part], Composed]]:
        g = Part(self._greeting(lang, name), drop=2)
        sig = Part(self._signature(lang), drop=0)
        p = self._p
        answer = choice.passage
        strong = is_strong(choice, threshold)

        def ans(passage: PassageLike) -> Part:
            return Part(passage.answer, answer=True)

        def c(*ids: str, notes: list[str] | None = None) -> Composed:
            return Composed("", list(ids), notes or [])

        if sit == "distress":
            sober = Part(self._greeting(lang, name, sober=True), drop=2)
            help_line = Part(p("helpline", lang)) if mentions_self_harm(comment.text) else Part("")
            return (
                ([sober, Part(p("distress", lang)), help_line, Part(p("distress_close", lang), drop=0)], c()),
                ([Part(p("distress_short", lang, name)), help_line], c()),
            )
        if sit == "private_data":
            return (([g, Part(p("private_data", lang)), sig], c()), ([Part(p("dm_short", lang))], c()))
        if sit == "toxic":
            return ([g, Part(p("calm", lang)), sig], c()), ([Part(p("dm_short", lang))], c())
        if sit == "complaint":
            main = [g, Part(p("sorry", lang)), Part(p("sac_handoff", lang)), sig]
            if answer is not None and is_strong(choice, threshold, COMPLAINT_MARGIN):
                alt = [Part(p("sorry_short", lang, name)), ans(answer), Part(p("dm_short", lang), drop=1)]
                return (main, c()), (alt, c(answer.id))
            return (main, c()), ([Part(p("sorry_short", lang, name)), Part(p("dm_short", lang))], c())
        if sit == "injection":
            # Instructions written in the comment are ignored; no fact from the knowledge base is volunteered.
            return ([g, Part(p("neutral", lang)), sig], c()), ([Part(p("thanks", lang))], c())
        if sit == "question":
            if answer is not None:
                # A question about the person's own account gets the answer and a way to reach the team.
                follow = p("dm_short", lang) if getattr(triage, "needs_sac", False) else p("more_help", lang)
                return (
                    ([g, ans(answer), Part(follow, drop=1), sig], c(answer.id)),
                    ([ans(answer), Part(p("short_close", lang, name), drop=1)], c(answer.id)),
                )
            dm_main = ([g, Part(p("dm_invite", lang)), sig], c(notes=self._other_lang_note(choice, lang)))
            if choice.uncertain is not None:
                return dm_main, (
                    [g, ans(choice.uncertain), Part(p("more_help", lang), drop=1)],
                    c(choice.uncertain.id, notes=[p("uncertain_note", lang)]),
                )
            return dm_main, ([Part(p("thanks", lang)), Part(p("dm_short", lang))], c())
        if sit == "praise":
            return (
                ([g, Part(p("praise", lang)), sig], c()),
                ([Part(p("praise_short", lang, name))], c()),
            )
        if sit == "banter":
            if strong and answer is not None:
                return (
                    ([g, Part(p("banter", lang)), ans(answer), sig], c(answer.id)),
                    ([ans(answer), Part(p("short_close", lang, name), drop=1)], c(answer.id)),
                )
            return ([g, Part(p("banter", lang)), sig], c()), ([Part(p("thanks", lang))], c())
        # other
        if strong and answer is not None:
            return (
                ([g, Part(p("thanks", lang)), ans(answer), sig], c(answer.id)),
                ([ans(answer), Part(p("short_close", lang, name), drop=1)], c(answer.id)),
            )
        return ([g, Part(p("neutral", lang)), sig], c()), ([Part(p("thanks", lang))], c())

    def _other_lang_note(self, choice: AnswerChoice, lang: str) -> list[str]:
        other = choice.other_lang
        if other is None:
            return []
        other_name = LANG_NAMES[lang].get(other.lang or "", other.lang or "?")
        excerpt = other.answer if len(other.answer) <= 300 else other.answer[:297] + "…"
        return [self._p("other_lang_note", lang, other=other_name, id=other.id, answer=excerpt)]

    def _finish(
        self, built: tuple[list[Part], Composed], variant: str, comment: CommentIn, lang: str
    ) -> ProposalDraft | None:
        parts, meta = built
        if self.persona.emoji == "none":
            parts = [Part(strip_emoji(p.text), p.drop, p.answer) for p in parts]
        done = assemble(parts, comment.platform)
        if done is None:
            # Even the essentials exceed the platform's limit: move the conversation to private messages.
            done = assemble([Part(self._p("dm_short", lang))], comment.platform)
            meta = Composed("", [], meta.notes)
            if done is None:  # pragma: no cover - a persona phrase longer than the limit
                return None
        text, shortened = done
        notes = list(meta.notes)
        if shortened:
            notes.append(self._p("shortened_note", lang))
        if lang == "fr" and self.persona.tu_vous == "tu" and meta.cited and _VOUS.search(text):
            notes.append(self._p("register_note", lang))
        bad = avoided_words(text, self.persona.avoid)
        if bad:
            notes.append(self._p("avoid_note", lang, words=", ".join(bad)))
        return ProposalDraft(
            text=text,
            kind="serious",
            variant="main" if variant == "main" else "alternative",
            persona=self.persona.name,
            cited_ids=meta.cited,
            lang=lang,
            note=" ".join(n for n in notes if n) or None,
        )

    # -- creative --------------------------------------------------------------------------------

    def _creative(self, passages: Sequence[PassageLike], comment: CommentIn, lang: str) -> ProposalDraft | None:
        viral = choose_viral(passages, lang)
        if viral is None:
            return None
        body = viral.answer if self.persona.emoji != "none" else strip_emoji(viral.answer)
        done = assemble([Part(self._p("adapt_marker", lang)), Part(body, answer=True)], comment.platform)
        if done is None:
            return None
        return ProposalDraft(
            text=done[0],
            kind="creative",
            variant="main",
            persona=self.persona.name,
            cited_ids=[viral.id],
            lang=lang,
            note=self._p("adapt_note", lang, id=viral.id),
        )
