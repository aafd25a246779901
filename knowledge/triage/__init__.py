"""Triage: language, intent, sentiment, customer-service need, humour safety, moderation, priority."""

from knowledge.triage.llm import LLMTriage, make_chat_model
from knowledge.triage.triager import Triager, get_triager
from knowledge.triage.types import TriageInput, TriageResult

__all__ = ["LLMTriage", "Triager", "TriageInput", "TriageResult", "get_triager", "make_chat_model"]
