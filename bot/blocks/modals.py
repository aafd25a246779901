"""Modals (pure builders): edit a proposal, resolve a case."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import ContextBlock, InputBlock, MarkdownTextObject, PlainTextInputElement, SectionBlock
from slack_sdk.models.views import View

from bot.blocks.review import clip, quote

EDIT_CALLBACK, RESOLVE_CALLBACK = "edit_reply", "resolve_case"
REPLY_BLOCK, REPLY_ACTION = "reply", "reply_text"
NOTE_BLOCK, NOTE_ACTION = "note", "resolution_note"
PLATFORM_LIMIT = {"x": 280}
DEFAULT_LIMIT = 3000


def reply_limit(platform: str) -> int:
    return PLATFORM_LIMIT.get(platform, DEFAULT_LIMIT)


def edit_modal(proposal_id: int, text: str, comment_text: str, platform: str, channel: str) -> dict[str, Any]:
    limit = reply_limit(platform)
    view = View(
        type="modal",
        callback_id=EDIT_CALLBACK,
        private_metadata=json.dumps({"proposal_id": proposal_id, "channel": channel}),
        title="Modifier la réponse",
        submit="Publier · Publish",
        close="Annuler",
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=clip("*Commentaire · comment*\n" + quote(comment_text), 3000))),
            InputBlock(
                block_id=REPLY_BLOCK,
                label="Réponse publiée · reply to publish",
                element=PlainTextInputElement(
                    action_id=REPLY_ACTION, multiline=True, initial_value=clip(text, limit), max_length=limit
                ),
            ),
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"Les deux versions sont conservées · both versions are kept. Limite · limit: {limit}"
                    )
                ]
            ),
        ],
    )
    return view.to_dict()


def resolve_modal(comment_id: int, comment_text: str) -> dict[str, Any]:
    view = View(
        type="modal",
        callback_id=RESOLVE_CALLBACK,
        private_metadata=json.dumps({"comment_id": comment_id}),
        title="Résoudre le cas",
        submit="Résoudre · Resolve",
        close="Annuler",
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=clip("*Commentaire · comment*\n" + quote(comment_text), 3000))),
            InputBlock(
                block_id=NOTE_BLOCK,
                label="Ce qui a été fait · what was done",
                element=PlainTextInputElement(action_id=NOTE_ACTION, multiline=True, max_length=2000),
            ),
        ],
    )
    return view.to_dict()


def submitted_value(view: dict[str, Any], block_id: str, action_id: str) -> str:
    value = view.get("state", {}).get("values", {}).get(block_id, {}).get(action_id, {}).get("value")
    return value or ""
