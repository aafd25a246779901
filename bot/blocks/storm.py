"""Storm mode in Block Kit (pure): the summary of a group of comments with its bulk actions, and
the notices telling the team storm mode is on or off."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

HIDE_ALL = "storm_hide_all"
REPLY_ALL = "storm_reply_all"
EDIT_REPLY_ALL = "storm_edit_reply"  # a button, and the modal's callback_id
REPLY_TEXT = "reply_text"  # the modal's text input

SAMPLES = 8

KIND_TITLE = {
    "spam": ("indésirables", "spam"),
    "praise": ("remerciements et compliments", "praise and thanks"),
    "similar": ("presque identiques", "near-identical"),
}


@dataclass(frozen=True)
class GroupView:
    id: int
    kind: str  # spam | praise | similar
    label: str
    action: str | None = None  # hide | reply, once done
    action_by: str | None = None
    reply_text: str | None = None


@dataclass(frozen=True)
class MemberView:
    comment_id: int
    author: str
    text: str
    state: str


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _ids(members: list[MemberView], limit: int = 2800) -> str:
    out = ""
    for m in members:
        piece = f"#{m.comment_id} "
        if len(out) + len(piece) > limit:
            return out + "…"
        out += piece
    return out.strip()


def summary_message(group: GroupView, members: list[MemberView], reply: str | None) -> tuple[str, list[dict[str, Any]]]:
    """One message for a group of low-value comments: samples, every case number, bulk actions."""
    fr, en = KIND_TITLE.get(group.kind, (group.kind, group.kind))
    n = len(members)
    text = f":cyclone: Mode tempête · Storm mode — {n} commentaires {fr} · {n} {en} comments (groupe {group.id})"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"cas · cases {_ids(members)}"}]},
    ]
    samples = "\n".join(f"> *{_clip(m.author, 60)}* : {_clip(m.text, 200)}" for m in members[:SAMPLES])
    if samples:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": samples[:3000]}})
    if n > SAMPLES:
        more = n - SAMPLES
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"+ {more} autres · more — chacun dans l'API · each in the API (/api/comments/<id>)",
                    }
                ],
            }
        )
    if group.action == "hide":
        done = f":no_entry_sign: Tous masqués par <@{group.action_by}> · all hidden by <@{group.action_by}>"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": done}})
        return text, blocks
    if group.action == "reply":
        reply_done = _clip(group.reply_text or "", 2000)
        done = (
            f":white_check_mark: Réponse approuvée pour tous par <@{group.action_by}> · "
            f"one reply approved for all by <@{group.action_by}>\n> {reply_done}"
        )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": done}})
        return text, blocks
    elements: list[dict[str, Any]] = []
    if group.kind == "spam":
        elements.append(
            {
                "type": "button",
                "action_id": HIDE_ALL,
                "value": str(group.id),
                "style": "danger",
                "text": {"type": "plain_text", "text": f"Tout masquer · Hide all ({n})"},
                "confirm": {
                    "title": {"type": "plain_text", "text": "Tout masquer ? · Hide all?"},
                    "text": {"type": "plain_text", "text": f"{n} commentaires · comments"},
                    "confirm": {"type": "plain_text", "text": "Masquer · Hide"},
                    "deny": {"type": "plain_text", "text": "Annuler · Cancel"},
                },
            }
        )
    elif reply:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*Une réponse pour tous · One reply to all*\n> {_clip(reply, 2800)}",
                },
            }
        )
        elements += [
            {
                "type": "button",
                "action_id": REPLY_ALL,
                "value": str(group.id),
                "style": "primary",
                "text": {"type": "plain_text", "text": f"Approuver pour tous · Approve for all ({n})"},
            },
            {
                "type": "button",
                "action_id": EDIT_REPLY_ALL,
                "value": str(group.id),
                "text": {"type": "plain_text", "text": "Modifier · Edit"},
            },
        ]
    if elements:
        blocks.append({"type": "actions", "block_id": f"storm_{group.id}", "elements": elements})
    return text, blocks


def storm_notice(on: bool, backlog: int, threshold: int) -> tuple[str, list[dict[str, Any]]]:
    """Told once when storm mode starts (and why), and once when it ends."""
    if on:
        text = (
            f":cyclone: *Mode tempête activé · Storm mode on* — {backlog} commentaires attendent "
            f"(seuil {threshold}) · {backlog} comments waiting (threshold {threshold}). "
            "Les indésirables, compliments et commentaires presque identiques sont regroupés avec des actions "
            "groupées ; les urgents et les cas distincts gardent leur message. · Spam, praise and near-identical "
            "comments are grouped with bulk actions; urgent and distinctive ones keep their own message."
        )
    else:
        text = (
            ":sunny: *Mode tempête terminé · Storm mode off* — un message par commentaire à nouveau · "
            "one message per comment again."
        )
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def edit_reply_modal(group_id: int, text: str, size: int) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": EDIT_REPLY_ALL,
        "private_metadata": str(group_id),
        "title": {"type": "plain_text", "text": "Réponse pour tous"},
        "submit": {"type": "plain_text", "text": "Approuver · Approve"},
        "close": {"type": "plain_text", "text": "Annuler · Cancel"},
        "blocks": [
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"Publiée sous chacun des {size} commentaires · posted under each of them",
                    }
                ],
            },
            {
                "type": "input",
                "block_id": REPLY_TEXT,
                "label": {"type": "plain_text", "text": "Réponse · Reply"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": REPLY_TEXT,
                    "multiline": True,
                    "initial_value": text[:3000],
                },
            },
        ],
    }
