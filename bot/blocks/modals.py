"""Modals (pure builders): edit a proposal, resolve a case, add a note to a case.

The quoted comment goes in through bot/blocks/text.py; the reply to edit is an input's `initial_value`,
which Slack never parses and hands back as typed, so it stays raw (escaped, the reply would go out with
entities in it)."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.blocks.text import cut, fmt, mrkdwn, plain, quote

EDIT_CALLBACK, RESOLVE_CALLBACK, CASE_NOTE_CALLBACK = "edit_reply", "resolve_case", "case_note"
REPLY_BLOCK, REPLY_ACTION = "reply", "reply_text"
NOTE_BLOCK, NOTE_ACTION = "note", "resolution_note"
FOLLOWUP_BLOCK, FOLLOWUP_ACTION = "followup", "followup_choice"
CASE_NOTE_BLOCK, CASE_NOTE_ACTION = "case_note", "case_note_text"
FOLLOWUP_CHOICES = {
    "both": "Réponse publique + privée · public + private reply",
    "public": "Réponse publique · public reply",
    "private": "Réponse privée · private reply",
    "none": "Aucune réponse · no reply",
}
# Where a private reply exists (Messenger / Instagram Direct); elsewhere a public reply is the default.
PRIVATE_REPLY_PLATFORMS = ("facebook", "instagram")


def default_followup(platform: str, private: bool = False) -> str:
    if private:  # a direct message's case: the follow-up is a message in the conversation (#24)
        return "private"
    return "both" if platform in PRIVATE_REPLY_PLATFORMS else "public"


PLATFORM_LIMIT = {"x": 280}
DEFAULT_LIMIT = 3000


# A message's text limit in the Send API: Messenger 2,000 characters, Instagram messaging 1,000.
MESSAGE_LIMIT = {"facebook": 2000, "instagram": 1000}


def reply_limit(platform: str, private: bool = False) -> int:
    if private:
        return MESSAGE_LIMIT.get(platform, DEFAULT_LIMIT)
    return PLATFORM_LIMIT.get(platform, DEFAULT_LIMIT)


def _comment_modal(
    callback_id: str, metadata: dict[str, Any], title: str, submit: str, comment_text: str, *blocks: Any
) -> dict[str, Any]:
    """A modal that quotes the comment it acts on, above its own inputs."""
    quoted = SectionBlock(text=mrkdwn(fmt("*Commentaire · comment*\n{}", quote(comment_text))))
    view = View(
        type="modal",
        callback_id=callback_id,
        private_metadata=json.dumps(metadata),
        title=plain(title, 24),
        submit=plain(submit, 24),
        close="Annuler",
        blocks=[quoted, *blocks],
    )
    return view.to_dict()


def edit_modal(
    proposal_id: int, text: str, comment_text: str, platform: str, channel: str, private: bool = False
) -> dict[str, Any]:
    limit = reply_limit(platform, private)
    return _comment_modal(
        EDIT_CALLBACK,
        {"proposal_id": proposal_id, "channel": channel},
        "Modifier la réponse",
        "Publier · Publish",
        comment_text,
        InputBlock(
            block_id=REPLY_BLOCK,
            label="Réponse publiée · reply to publish",
            element=PlainTextInputElement(
                action_id=REPLY_ACTION, multiline=True, initial_value=cut(text, limit), max_length=limit
            ),
        ),
        ContextBlock(
            elements=[
                mrkdwn(fmt("Les deux versions sont conservées · both versions are kept. Limite · limit: {}", limit))
            ]
        ),
    )


def resolve_modal(comment_id: int, comment_text: str, platform: str = "other", private: bool = False) -> dict[str, Any]:
    choices = {k: v for k, v in FOLLOWUP_CHOICES.items() if not private or k in ("private", "none")}
    options = [Option(value=k, text=plain(v, 75)) for k, v in choices.items()]
    initial = next(o for o in options if o.value == default_followup(platform, private))
    return _comment_modal(
        RESOLVE_CALLBACK,
        {"comment_id": comment_id},
        "Résoudre le cas",
        "Résoudre · Resolve",
        comment_text,
        InputBlock(
            block_id=NOTE_BLOCK,
            label="Ce qui a été fait · what was done",
            element=PlainTextInputElement(action_id=NOTE_ACTION, multiline=True, max_length=2000),
        ),
        InputBlock(
            block_id=FOLLOWUP_BLOCK,
            label="Ensuite, proposer au CM · then propose to the CM",
            element=RadioButtonsElement(action_id=FOLLOWUP_ACTION, options=options, initial_option=initial),
            optional=True,
        ),
    )


def case_note_modal(comment_id: int, comment_text: str) -> dict[str, Any]:
    return _comment_modal(
        CASE_NOTE_CALLBACK,
        {"comment_id": comment_id},
        "Note pour le SAC",
        "Ajouter · Add",
        comment_text,
        InputBlock(
            block_id=CASE_NOTE_BLOCK,
            label="Note (visible du SAC · for customer service)",
            element=PlainTextInputElement(action_id=CASE_NOTE_ACTION, multiline=True, max_length=2000),
        ),
    )


def submitted_choice(view: dict[str, Any], block_id: str, action_id: str) -> str | None:
    """The selected option's value of a radio-buttons or select input, None when nothing is chosen."""
    field = view.get("state", {}).get("values", {}).get(block_id, {}).get(action_id, {})
    option = field.get("selected_option") or {}
    value = option.get("value")
    return str(value) if value else None


def submitted_value(view: dict[str, Any], block_id: str, action_id: str) -> str:
    value = view.get("state", {}).get("values", {}).get(block_id, {}).get(action_id, {}).get("value")
    return value or ""
