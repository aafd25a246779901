"""Reply drafting: grounded serious replies, safe creative inspiration, citations, any LLM or none."""

from knowledge.drafting.draft import check_proposal, draft_for_comment, draft_reply, reply_lang
from knowledge.drafting.guard import looks_like_injection, unsupported_claims
from knowledge.drafting.injections import INJECTIONS
from knowledge.drafting.llm import DraftingChain, LLMDraft, LLMError, LLMProposal
from knowledge.drafting.offline import OfflineComposer
from knowledge.drafting.text import limit_for, platform_length
from knowledge.drafting.types import CommentIn, Draft, PassageLike, ProposalDraft

__all__ = [
    "INJECTIONS",
    "CommentIn",
    "Draft",
    "DraftingChain",
    "LLMDraft",
    "LLMError",
    "LLMProposal",
    "OfflineComposer",
    "PassageLike",
    "ProposalDraft",
    "check_proposal",
    "draft_for_comment",
    "draft_reply",
    "limit_for",
    "looks_like_injection",
    "platform_length",
    "reply_lang",
    "unsupported_claims",
]
