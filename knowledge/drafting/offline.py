"""The offline composer (SOWANA_LLM=offline): deterministic replies from retrieved answers and persona phrases.

Facts come only from FAQ passages, quoted as written, one per claim of the comment (up to
MAX_ANSWERS), each cited. An answer that exists only in the other language is never translated: the
CM is told and offered the entry to adapt. Without a good passage the reply moves the conversation to
private messages or to customer service. The alternative says something else than the main reply
(shorter and answer first, a private-message hand-off, or the answer the main one was unsure of).
Wit is never invented here: a creative proposal reuses a quip from a past viral answer or from the
persona's own example for a similar comment, followed by the FAQ answer as written, marked "to adapt".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from knowledge.drafting.guard import avoided_words, unsupported_claims
from knowledge.drafting.phrases import fill, in_private, other_lang_note, phrase
from knowledge.drafting.select import (
    COMPLAINT_MARGIN,
    STRONG_MARGIN,
    Answers,
    Situation,
    choose_answer,
    choose_answers,
    choose_viral,
    humor_allowed,
    mentions_self_harm,
    situation,
)
from knowledge.drafting.text import first_name, fits, join, sentences, strip_emoji
from knowledge.drafting.types import CommentIn, PassageLike, ProposalDraft
from knowledge.drafting.wit import example_facts, find_wit, guided_answer
from knowledge.personas.model import Persona

_VOUS = re.compile(r"\b(vous|votre|vos)\b", re.IGNORECASE)


@dataclass
class Part:
    """A piece of a reply. Optional parts go first when the platform's limit is tight (lowest `drop` first)."""

    text: str
    drop: int | None = None
    answer: bool = False  # a FAQ answer may lose trailing sentences, never be cut mid-sentence
    cite: str | None = None  # the entry this part quotes: cited only while the part is in the reply
    # A shorter way to say the same, taken when the platform is tight before any answer is cut: on X a
    # complaint's "sorry" and customer-service hand-off would otherwise crowd out the policy it needs.
    short: str | None = None


def without_emoji(parts: Sequence[Part]) -> list[Part]:
    """The parts, and their shorter wordings, with emoji removed (a persona whose emoji policy is none)."""
    return [replace(p, text=strip_emoji(p.text), short=p.short and strip_emoji(p.short)) for p in parts]


EXTRA_ANSWER = 3  # `drop` of the answers after the first: kept over the greeting, dropped last


def assemble(parts: Sequence[Part], platform: str) -> tuple[str, bool, list[str]] | None:
    """(text, shortened, cited ids) within the platform's limit, or None when even the essentials don't fit.

    What goes first when it is too long: the signature, closing and greeting; then our phrases' longer
    wording; then the answers' trailing sentences; then the answers to the later claims."""
    live = [replace(p) for p in parts if p.text.strip()]
    shortened = False
    while True:
        text = _flow(live)
        if fits(text, platform):
            cited = list(dict.fromkeys(p.cite for p in live if p.cite))
            return text, shortened, cited
        shortened = True
        optional = [p for p in live if p.drop is not None and p.drop < EXTRA_ANSWER]
        if optional:
            live.remove(min(optional, key=lambda p: p.drop or 0))
            continue
        wordy = [p for p in live if p.short is not None and p.short != p.text]
        if wordy:
            for p in wordy:
                p.text = p.short or p.text
            continue
        long = [p for p in live if p.answer and len(sentences(p.text)) > 1]
        if long:
            answer = max(long, key=lambda p: len(p.text))
            answer.text = join(*sentences(answer.text)[:-1])
            continue
        extra = [p for p in live if p.drop is not None]
        if not extra:
            return None
        live.remove(extra[-1])


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


def quoted(answers: Answers | list[PassageLike], short: bool = False) -> list[Part]:
    """The answers as written, each cited; after the first, each may go when the platform is tight.
    `short`: only each answer's first sentence (the answer-first alternative)."""
    passages = answers.quoted if isinstance(answers, Answers) else answers
    out = []
    for i, p in enumerate(passages):
        text = sentences(p.answer)[0] if short and sentences(p.answer) else p.answer
        out.append(Part(text, drop=None if i == 0 else EXTRA_ANSWER, answer=True, cite=p.id))
    return out


_LOWER_OK = re.compile(r"^(?:les?|la|l'|nos?|notre|vos?|votre|on|nous|vous|the|our|we|you|your)\b", re.IGNORECASE)


@dataclass
class Composed:
    text: str
    cited: list[str] = field(default_factory=list)  # entries cited outside the text (offered in a note)
    notes: list[str] = field(default_factory=list)


class OfflineComposer:
    """Composes the serious reply, its alternative, and (when allowed) a creative proposal."""

    def __init__(self, persona: Persona, *, private: bool = False) -> None:
        self.persona = persona
        self.private = private  # answering a direct message: the phrases that invite to one are not said

    def _p(self, key: str, lang: str, name: str | None = None, **values: str) -> str:
        return phrase(in_private(key) if self.private else key, lang, self.persona, name, **values)

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
        main, alt = self._serious(sit, comment, triage, passages, lang, name, no_answer, threshold)
        proposals = [self._finish(main, "main", comment, lang), self._finish(alt, "alternative", comment, lang)]
        notes: list[str] = []
        if humor_allowed(triage, self.persona.humor, sit) and not self.private:
            answers = choose_answers(passages, lang, no_answer, threshold)
            creative = self._creative(passages, comment, lang, answers, sit)
            if creative is not None:
                proposals.append(creative)
            else:
                notes.append(
                    "no past viral answer or persona example close enough to inspire a creative reply"
                    if lang == "en"
                    else "aucune réponse virale ni exemple du persona assez proche pour inspirer une réponse créative"
                )
        return [p for p in proposals if p is not None], notes

    # -- serious ---------------------------------------------------------------------------------

    def _serious(
        self,
        sit: Situation,
        comment: CommentIn,
        triage: Any,
        passages: Sequence[PassageLike],
        lang: str,
        name: str | None,
        no_answer: bool | None,
        threshold: float | None,
    ) -> tuple[tuple[list[Part], Composed], tuple[list[Part], Composed]]:
        g = Part(self._greeting(lang, name), drop=2)
        sig = Part(self._signature(lang), drop=0)
        p = self._p

        def c(answers: Answers | None = None, notes: list[str] | None = None) -> Composed:
            """Entries only in the other language are cited and shown to the CM in a note."""
            other = answers.other_lang if answers is not None else []
            return Composed("", [o.id for o in other], [*(notes or []), *self._other_lang_notes(other, lang)])

        if sit == "distress":
            sober = Part(self._greeting(lang, name, sober=True), drop=2)
            self_harm = mentions_self_harm(comment.text)
            help_line = Part(p("helpline", lang)) if self_harm else Part("")
            care = ([sober, Part(p("distress", lang)), help_line, Part(p("distress_close", lang), drop=0)], c())
            # Left without heating with a baby, stranded before a funeral: the person also needs the practical way
            # out (an emergency line, a rebooking rule). The alternative gives it, marked uncertain as for a
            # complaint when retrieval is not sure; the main stays care only, and the CM chooses. Never beside a
            # sign of self-harm: no business policy next to a crisis line.
            sure = choose_answers(passages, lang, no_answer, threshold, COMPLAINT_MARGIN)
            found = sure if sure.quoted else choose_answers(passages, lang, no_answer, threshold)
            if found.quoted and not self_harm:
                notes = [] if sure.quoted else [p("uncertain_note", lang)]
                return care, (
                    [Part(p("distress_care", lang, name)), *quoted(found), Part(p("dm_short", lang), drop=1)],
                    c(found, notes),
                )
            return care, ([Part(p("distress_short", lang, name)), help_line], c())
        if sit == "private_data":
            return (([g, Part(p("private_data", lang)), sig], c()), ([Part(p("dm_short", lang))], c()))
        if sit == "toxic":
            return ([g, Part(p("calm", lang)), sig], c()), ([Part(p("dm_short", lang))], c())
        if sit == "injection":
            # Instructions written in the comment are ignored; no fact from the knowledge base is volunteered.
            return ([g, Part(p("neutral", lang)), sig], c()), ([Part(p("thanks", lang))], c())
        if sit == "complaint":
            sure = choose_answers(passages, lang, no_answer, threshold, COMPLAINT_MARGIN)
            main = [
                g,
                Part(p("sorry", lang), short=p("sorry_short", lang, name)),
                *quoted(sure),
                Part(p("sac_handoff", lang), short=p("dm_short", lang)),
                sig,
            ]
            if sure.quoted:
                # The alternative hands off in private without the policy: the CM chooses whether to quote it.
                return (main, c(sure)), ([Part(p("sorry_short", lang, name)), Part(p("dm_short", lang))], c())
            maybe = choose_answers(passages, lang, no_answer, threshold)
            if maybe.quoted:
                alt = [Part(p("sorry_short", lang, name)), *quoted(maybe), Part(p("dm_short", lang), drop=1)]
                return (main, c(sure)), (alt, c(notes=[p("uncertain_note", lang)]))
            return (main, c(sure)), ([Part(p("sorry_short", lang, name)), Part(p("dm_short", lang))], c())
        if sit == "question":
            answers = choose_answers(passages, lang, no_answer, threshold)
            if answers.quoted:
                # A question about the person's own account gets the answer and a way to reach the team.
                follow = p("dm_short", lang) if getattr(triage, "needs_sac", False) else p("more_help", lang)
                return (
                    ([g, *quoted(answers), Part(follow, drop=1), sig], c(answers)),
                    ([*quoted(answers, short=True), Part(p("dm_case", lang), drop=1)], c(answers)),
                )
            dm_main = ([g, Part(p("dm_invite", lang)), sig], c(answers))
            choice = choose_answer(passages, lang, no_answer, threshold)
            if choice.uncertain is not None:
                return dm_main, (
                    [g, *quoted([choice.uncertain]), Part(p("more_help", lang), drop=1)],
                    c(notes=[p("uncertain_note", lang)]),
                )
            return dm_main, ([Part(p("thanks", lang)), Part(p("dm_short", lang))], c())
        if sit == "praise":
            return (
                ([g, Part(p("praise", lang)), sig], c()),
                ([Part(p("praise_short", lang, name))], c()),
            )
        opener = "banter" if sit == "banter" else "thanks"
        strong = choose_answers(passages, lang, no_answer, threshold, STRONG_MARGIN)
        if strong.quoted:
            return (
                ([g, Part(p(opener, lang)), *quoted(strong), sig], c(strong)),
                ([*quoted(strong, short=True), Part(p("dm_case", lang), drop=1)], c(strong)),
            )
        if sit == "banter":
            # The persona's example for a comment like this one shows what to inform about (e.g. delivery times).
            guided = guided_answer(example_facts(self.persona, comment.text, lang), passages, lang)
            if guided is not None:
                return ([g, Part(p("banter", lang)), *quoted([guided]), sig], c()), ([Part(p("thanks", lang))], c())
            return ([g, Part(p("banter", lang)), sig], c()), ([Part(p("thanks", lang))], c())
        return ([g, Part(p("neutral", lang)), sig], c(strong)), ([Part(p("thanks", lang))], c())

    def _other_lang_notes(self, others: Sequence[PassageLike], lang: str) -> list[str]:
        return [other_lang_note(o, lang, self.persona) for o in others]

    def _finish(
        self, built: tuple[list[Part], Composed], variant: str, comment: CommentIn, lang: str
    ) -> ProposalDraft | None:
        parts, meta = built
        if self.persona.emoji == "none":
            parts = without_emoji(parts)
        done = assemble(parts, comment.reply_platform)
        if done is None:
            # Even the essentials exceed the platform's limit: move the conversation to private messages.
            done = assemble([Part(self._p("dm_short", lang))], comment.reply_platform)
            if done is None:  # pragma: no cover - a persona phrase longer than the limit
                return None
        text, shortened, cited = done
        notes = list(meta.notes)
        if shortened:
            notes.append(self._p("shortened_note", lang))
        if lang == "fr" and self.persona.tu_vous == "tu" and cited and _VOUS.search(text):
            notes.append(self._p("register_note", lang))
        bad = avoided_words(text, self.persona.avoid)
        if bad:
            notes.append(self._p("avoid_note", lang, words=", ".join(bad)))
        return ProposalDraft(
            text=text,
            kind="serious",
            variant="main" if variant == "main" else "alternative",
            persona=self.persona.name,
            cited_ids=[*cited, *(i for i in meta.cited if i not in cited)],
            lang=lang,
            note=" ".join(n for n in notes if n) or None,
        )

    # -- creative --------------------------------------------------------------------------------

    def _creative(
        self, passages: Sequence[PassageLike], comment: CommentIn, lang: str, answers: Answers, sit: Situation
    ) -> ProposalDraft | None:
        """A quip, then the facts as the FAQ says them ("more seriously: …"), marked to adapt. Without a
        FAQ answer, a related past viral answer alone, as inspiration."""
        wit = find_wit(self.persona, comment.text, lang, choose_viral(passages, lang), sit)
        if wit is None:
            return None
        marker = Part(self._p("adapt_marker", lang))
        fact = guided_answer(wit.facts, passages, lang) or (answers.quoted[0] if answers.quoted else None)
        if fact is not None:
            body = fact.answer if not _LOWER_OK.match(fact.answer) else fact.answer[0].lower() + fact.answer[1:]
            parts = [marker, Part(wit.quip), Part(self._p("seriously", lang)), Part(body, answer=True, cite=fact.id)]
            key = "wit_source_viral" if wit.viral_id else "wit_source_quip" if wit.generic else "wit_source_persona"
            source = self._p(key, lang, id=wit.viral_id or "")
            note = self._p("wit_note", lang, source=source[:1].lower() + source[1:], id=fact.id)
            sources = [fact.answer] + [p.answer for p in passages if p.id == wit.viral_id]
        elif wit.viral_id is not None:
            viral = next(p for p in passages if p.id == wit.viral_id)
            parts = [marker, Part(viral.answer, answer=True, cite=viral.id)]
            note = self._p("adapt_note", lang, id=viral.id)
            sources = [viral.answer]
        elif wit.generic and sit in ("banter", "praise"):
            # A light line alone answers a joke or a compliment; a question needs its facts.
            parts = [marker, Part(wit.quip)]
            note = self._p("quip_note", lang)
            sources = []
        else:
            return None  # a persona example's own facts may be out of date: never without the FAQ
        if self.persona.emoji == "none":
            parts = without_emoji(parts)
        done = assemble(parts, comment.reply_platform)
        if done is None:
            return None
        text, _, cited = done
        if unsupported_claims(text, sources):
            return None  # the quip promises what the sources don't
        if wit.viral_id and wit.viral_id not in cited:
            cited.append(wit.viral_id)
        return ProposalDraft(
            text=text,
            kind="creative",
            variant="main",
            persona=self.persona.name,
            cited_ids=cited,
            lang=lang,
            note=note,
        )
