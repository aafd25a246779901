"""Rules on top of the learnt labels: one pure function that turns predictions + detector facts into a result.

Both the offline classifier and the LLM go through `decide`, so the safety floor is the same for both:
distress is always urgent and never humorous, exposed personal data is always hidden, an instruction
inside a comment is always sent to review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from knowledge.triage.detectors import Signals
from knowledge.triage.types import Intent, Lang, Priority, Sentiment, Source, TriageResult

HUMOR_MIN_INTENT_CONFIDENCE = 0.55
# bench/real/train_triage.py CV on the training sources: 0.65 → 0.75 takes humour false positives from 1.7 % to
# 0.9 % (the goal is ≤ 1 %), humour recall 0.26 → 0.22.
HUMOR_MIN_PROB = 0.75
# Banter told as hearsay ("il paraît que…", "apparently…") with no problem of one's own named mocks a
# reputation by style: the seed's case for wit. The humour head, trained mostly on real sarcasm that
# hides a complaint, doubts it; a lower bar applies (held-out real humour false positives unchanged).
HUMOR_MIN_PROB_HEARSAY = 0.3
# Chosen with bench/triage_cv.py on the shipped examples: recall first (0.95 there). Tried: 0.1, the F2 best of
# bench/real/train_triage.py CV (recall 0.763 → 0.923, precision 0.700 → 0.539); held out it flagged so many
# comments (precision 0.566 → 0.376) that the flag would stop meaning anything.
NEEDS_SAC_THRESHOLD = 0.35
LOW_LITERACY_PROB = 0.5
# A joke or a thank-you goes to customer service without a reported problem only on a strong vote.
NEEDS_SAC_STRONG_VOTE = 0.6


@dataclass
class RawLabels:
    """Labels before the rules: from the classifier (with probabilities) or from an LLM."""

    intent_probs: dict[str, float]
    sentiment: Sentiment
    needs_sac_prob: float
    humor_prob: float
    low_literacy_prob: float = 0.0
    hide_prob: float = 0.0
    corrected: dict[str, Any] = field(default_factory=dict)
    topics: list[str] = field(default_factory=list)


# A thank-you or a joke that names a problem is sarcasm about it; a question that names one is a
# complaint when the examples lean that way at all. bench/real/train_triage.py cross-validation (from
# 0.15 for all three): macro-F1 and accuracy unchanged on the training sources, and sarcastic thanks
# for a delay are read as the complaints they are.
DISGUISED_COMPLAINT_MIN_PROB: dict[str, float] = {"praise": 0.0, "banter": 0.0, "question": 0.05}
OTHER_MARGIN = 0.05  # bench/real/train_triage.py cross-validation: macro-F1 unchanged, fewer questions read as "other"

# "Other" loses to "question" when the comment asks something (a "?" and a question word) on this vote.
ASKING_QUESTION_MIN_PROB = 0.1

# A negative question is a complaint that ends with a question ("plus d'eau chaude depuis une semaine,
# on fait comment ???") when the examples give "complaint" this vote. bench/real/train_triage.py CV on
# the training sources: macro-F1 0.525 → 0.538, accuracy 0.637 → 0.662 (0.05–0.2 within 0.003).
# Not extended to praise in a negative tone: CV +0.003 macro-F1, but held out it read 9 more praises as
# complaints (app reviews that praise with a reservation).
NEG_QUESTION_COMPLAINT_MIN_PROB = 0.1

# A link with no lure word is spam only on this vote: customers link their screenshots and bills.
# bench/real/train_triage.py CV: 0.15 → 0.35, hide precision 0.743 → 0.767, recall 0.657 → 0.651.
LINK_SPAM_MIN_PROB = 0.35

# Toxic and spam hide the comment: on a weak guess with no word to back it, take the next intent.
HIDING_MIN_PROB = 0.6  # bench/triage_cv.py: hide recall 0.92, 5 hidden by mistake in 1,881 (6 at 0.5, recall 0.95)


def _choose_intent(raw: RawLabels, s: Signals) -> tuple[Intent, float]:
    probs = raw.intent_probs
    best: Intent = max(probs, key=lambda k: probs[k])  # type: ignore[arg-type,assignment]
    if best == "other":
        # "other" is the catch-all: it wins only clearly over the most likely specific intent.
        runner: Intent = max((k for k in probs if k != "other"), key=lambda k: probs[k])  # type: ignore[assignment,misc]
        if probs[runner] >= probs["other"] - OTHER_MARGIN:
            best = runner
    if best == "other" and s.asks and probs.get("question", 0.0) >= ASKING_QUESTION_MIN_PROB:
        best = "question"  # a question put to the brand is not "something else"
    if best == "question" and raw.sentiment == "neg" and probs.get("complaint", 0.0) >= NEG_QUESTION_COMPLAINT_MIN_PROB:
        best = "complaint"
    backed = {"toxic": s.insult or s.hate, "spam": bool(s.links) or s.lure}
    if best in backed and not backed[best] and probs[best] < HIDING_MIN_PROB:
        best = max((k for k in probs if k not in backed), key=lambda k: probs[k])  # type: ignore[assignment,misc]
    conf = probs[best]
    forced: Intent | None = None
    if s.injection:
        forced = "other"  # the comment tried to give us orders: triage it as data, send to review
    elif s.distress:
        forced = "distress"
    elif s.hate:
        forced = "toxic"
    elif (s.links and (s.lure or probs.get("spam", 0.0) >= LINK_SPAM_MIN_PROB)) or (
        s.lure and probs.get("spam", 0.0) >= 0.3
    ):
        forced = "spam"
    elif s.vulnerable and best in ("complaint", "question", "other", "toxic"):
        # A baby without heating, an elderly mother cut off, a funeral to reach: the situation comes first
        # even when the message is mostly anger (CONVENTIONS.md). CV: distress F1 0.28 → 0.6, macro-F1
        # 0.538 → 0.577; no vote threshold (0–0.05 alike, 0.1 loses a third of them).
        forced = "distress"
    elif s.insult and probs.get("toxic", 0.0) >= 0.2 and best not in ("praise", "banter"):
        forced = "toxic"
    elif (
        best in DISGUISED_COMPLAINT_MIN_PROB
        and s.problem
        and probs.get("complaint", 0.0) >= DISGUISED_COMPLAINT_MIN_PROB[best]
    ):
        # A real problem in polite, sarcastic or asking words ("merci!", "bravo 👏", "…when do you refund?")
        # is a complaint.
        forced = "complaint"
    if forced is not None and forced != best:
        return forced, max(0.9, probs.get(forced, 0.0))
    return best, conf


# The conventions fix the tone of most intents (bench/real/CONVENTIONS.md, sentiment): a complaint phrased politely
# is still negative, spam is always neutral. CV on the training sources: sentiment 0.766 → 0.775.
_FIXED_SENTIMENT: dict[str, Sentiment] = {
    "complaint": "neg",
    "toxic": "neg",
    "distress": "neg",
    "praise": "pos",
    "spam": "neu",
}


def _sentiment(intent: str, raw: RawLabels) -> Sentiment:
    if intent in _FIXED_SENTIMENT:
        return _FIXED_SENTIMENT[intent]
    if intent == "question" and raw.sentiment == "pos":
        return "neu"  # a question is plain unless asked angrily
    return raw.sentiment


def light_confidence(raw: RawLabels, intent: str, confidence: float) -> float:
    """How sure we are the comment is light: banter and praise together, since a vote split between
    the two ("so good my kids eat them like candy") is still a sure vote for a light comment. An intent
    that is not the vote's first choice (corrected, or taken over an unbacked toxic or spam guess)
    keeps its own confidence."""
    split = raw.intent_probs.get("banter", 0.0) + raw.intent_probs.get("praise", 0.0)
    return max(confidence, split) if intent == max(raw.intent_probs, key=lambda k: raw.intent_probs[k]) else confidence


def low_literacy(raw: RawLabels, s: Signals) -> bool:
    """Misspellings decide; an unpunctuated all-lowercase text or the examples' vote only tips a single one."""
    spelling = s.literacy.phonetic + s.literacy.near_misses
    return (
        spelling >= 2
        or (spelling >= 1 and (s.literacy.no_punctuation or raw.low_literacy_prob >= LOW_LITERACY_PROB))
        or raw.low_literacy_prob >= 0.8
    )


def decide(
    raw: RawLabels, s: Signals, lang: Lang, source: Source, *, needs_sac_threshold: float = NEEDS_SAC_THRESHOLD
) -> TriageResult:
    intent, confidence = _choose_intent(raw, s)
    corrected = raw.corrected
    if "intent" in corrected:
        intent, confidence = corrected["intent"], max(confidence, 0.9)
    sentiment: Sentiment = corrected.get("sentiment") or _sentiment(intent, raw)
    distress = intent == "distress" or s.distress

    # Customer service has to act when the person's own order, bill or account is involved.
    if "needs_sac" in corrected:
        needs_sac = bool(corrected["needs_sac"])
    elif intent == "spam":
        needs_sac = False
    elif intent in ("banter", "praise"):
        # A joke or a thank-you needs the person's file only when it also reports a problem with it.
        needs_sac = (
            s.problem and (s.account_marker or s.sac_hint or raw.needs_sac_prob >= needs_sac_threshold)
        ) or raw.needs_sac_prob >= NEEDS_SAC_STRONG_VOTE
    else:
        # Tone does not decide it: an insult or a cry for help can still carry an order, a bill or an
        # account that customer service must act on (the comment is hidden, the problem is not).
        needs_sac = (
            raw.needs_sac_prob >= needs_sac_threshold
            or (intent in ("complaint", "toxic", "distress") and s.sac_hint and raw.needs_sac_prob >= 0.2)
            # "commande #48213", "prélevé deux fois", "can't log in": only the account can resolve these,
            # however the examples vote (an injected order such as "refund me now" is not a customer need).
            or (
                s.account_marker
                and intent in ("question", "complaint", "toxic", "distress", "other")
                and not s.injection
            )
        )
        if s.personal_data and intent in ("question", "complaint", "other"):
            needs_sac = True

    moderation, reason, private_followup = "none", None, False
    if intent == "spam":
        moderation, reason = "hide", "spam"
    elif intent == "toxic":
        moderation, reason = "hide", "hate" if s.hate else "insult"
    elif s.personal_data:
        moderation, reason, private_followup = "hide", "personal_data", True
    elif s.injection:
        moderation, reason = "review", "injection"
    if s.personal_data and intent != "spam":
        private_followup = True  # their data is public: move the conversation to a private channel
    if "moderation" in corrected and corrected["moderation"] != moderation:
        moderation = corrected["moderation"]
        reason = None if moderation == "none" else (reason or "team_correction")

    reasons: list[str] = []

    def off(why: str) -> None:
        if why not in reasons:
            reasons.append(why)

    if distress:
        off("distress")
    # Mockery by style is negative but light (the seed's "so slow we could grow the vegetables"): only a
    # reported problem, or a negative comment that is not banter, rules wit out.
    if intent == "complaint" or s.problem or (sentiment == "neg" and intent != "banter"):
        off("bad_experience")
    if intent == "toxic" or s.insult or s.hate:
        off("toxicity")
    if intent == "spam":
        off("spam")
    if s.injection:
        off("injection")
    if low_literacy(raw, s):
        off("low_literacy")
    if s.minor:
        off("minor")
    if s.hardship or s.safety:
        off("sensitive_topic")
    if s.legal:
        off("legal_threat")
    if s.personal_data:
        off("personal_data")
    if s.account_marker:
        off("own_order")  # an order number or a charge of theirs is named: answer it, never joke about it
    if intent not in ("banter", "praise"):
        off("serious_intent")
    elif light_confidence(raw, intent, confidence) < HUMOR_MIN_INTENT_CONFIDENCE or raw.humor_prob < (
        HUMOR_MIN_PROB_HEARSAY if intent == "banter" and s.hearsay else HUMOR_MIN_PROB
    ):
        off("low_confidence")
    if corrected.get("humor_ok") is False:
        off("team_correction")
    elif corrected.get("humor_ok") is True:
        reasons = [r for r in reasons if r not in ("low_confidence", "serious_intent", "bad_experience")]
    humor_ok = not reasons

    priority_reasons: list[str] = []
    if distress:
        priority_reasons.append("distress")
    if s.safety:
        priority_reasons.append("safety")
    if s.legal:
        priority_reasons.append("legal_threat")
    if s.traction:
        priority_reasons.append("traction")
    urgent = bool({"distress", "safety", "legal_threat"} & set(priority_reasons)) or (
        s.traction and intent in ("complaint", "toxic")  # an angry comment spreading: early bad buzz
    )
    priority: Priority = "urgent" if urgent else "high" if s.traction else "normal"

    topics = list(dict.fromkeys([*s.topics, *raw.topics]))
    if s.safety:
        topics.append("safety")
    if s.legal:
        topics.append("legal")
    return TriageResult(
        lang=lang,
        intent=intent,
        sentiment=sentiment,
        needs_sac=needs_sac,
        humor_ok=humor_ok,
        humor_off_reasons=reasons,
        moderation=moderation,  # type: ignore[arg-type]
        moderation_reason=reason,
        private_followup=private_followup,
        priority=priority,
        priority_reasons=priority_reasons,
        topics=list(dict.fromkeys(topics)),
        confidence=round(min(1.0, max(0.0, confidence)), 4),
        source=source,
    )
