"""Storm mode in Block Kit (pure): the summary of a group of comments with its bulk actions, and
the notices telling the team storm mode is on or off. Samples of the comments, their authors and the
reply go in through bot/blocks/text.py, like everywhere else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    InputBlock,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.blocks.text import SlackText, cut, fmt, join, mrkdwn, one_line, plain, user

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


def _ids(members: list[MemberView], limit: int = 2800) -> str:
    out = ""
    for m in members:
        piece = f"#{m.comment_id} "
        if len(out) + len(piece) > limit:
            return out + "…"
        out += piece
    return out.strip()


def summary_message(
    group: GroupView, members: list[MemberView], reply: str | None
) -> tuple[SlackText, list[dict[str, Any]]]:
    """One message for a group of low-value comments: samples, every case number, bulk actions."""
    fr, en = KIND_TITLE.get(group.kind, (group.kind, group.kind))
    n = len(members)
    text = fmt(
        ":cyclone: Mode tempête · Storm mode — {n} commentaires {fr} · {n} {en} comments (groupe {g})",
        n=n,
        fr=fr,
        en=en,
        g=group.id,
    )
    blocks: list[Block] = [
        SectionBlock(text=mrkdwn(fmt("*{}*", text))),
        ContextBlock(elements=[mrkdwn(fmt("cas · cases {}", _ids(members)))]),
    ]
    samples = join("\n", (fmt("> *{}* : {}", one_line(m.author, 60), one_line(m.text, 200)) for m in members[:SAMPLES]))
    if samples:
        blocks.append(SectionBlock(text=mrkdwn(samples)))
    if n > SAMPLES:
        more = fmt("+ {} autres · more — chacun dans l'API · each in the API (/api/comments/{})", n - SAMPLES, "<id>")
        blocks.append(ContextBlock(elements=[mrkdwn(more)]))
    if group.action == "hide":
        by = user(group.action_by)
        done = fmt(":no_entry_sign: Tous masqués par {} · all hidden by {}", by, by)
        blocks.append(SectionBlock(text=mrkdwn(done)))
        return text, [b.to_dict() for b in blocks]
    if group.action == "reply":
        by = user(group.action_by)
        done = fmt(
            ":white_check_mark: Réponse approuvée pour tous par {} · one reply approved for all by {}\n> {}",
            by,
            by,
            one_line(group.reply_text or "", 2000),
        )
        blocks.append(SectionBlock(text=mrkdwn(done)))
        return text, [b.to_dict() for b in blocks]
    elements: list[ButtonElement] = []
    if group.kind == "spam":
        elements.append(
            ButtonElement(
                text=plain(fmt("Tout masquer · Hide all ({})", n)),
                action_id=HIDE_ALL,
                value=str(group.id),
                style="danger",
                confirm=ConfirmObject(
                    title="Tout masquer ? · Hide all?",
                    text=plain(fmt("{} commentaires · comments", n)),
                    confirm="Masquer · Hide",
                    deny="Annuler · Cancel",
                ),
            )
        )
    elif reply:
        one = fmt("*Une réponse pour tous · One reply to all*\n> {}", one_line(reply, 2800))
        blocks.append(SectionBlock(text=mrkdwn(one)))
        elements += [
            ButtonElement(
                text=plain(fmt("Approuver pour tous · Approve for all ({})", n)),
                action_id=REPLY_ALL,
                value=str(group.id),
                style="primary",
            ),
            ButtonElement(text="Modifier · Edit", action_id=EDIT_REPLY_ALL, value=str(group.id)),
        ]
    if elements:
        blocks.append(ActionsBlock(block_id=f"storm_{group.id}", elements=elements))
    return text, [b.to_dict() for b in blocks]


def storm_notice(on: bool, backlog: int, threshold: int) -> tuple[SlackText, list[dict[str, Any]]]:
    """Told once when storm mode starts (and why), and once when it ends."""
    if on:
        text = fmt(
            ":cyclone: *Mode tempête activé · Storm mode on* — {b} commentaires attendent "
            "(seuil {t}) · {b} comments waiting (threshold {t}). "
            "Les indésirables, compliments et commentaires presque identiques sont regroupés avec des actions "
            "groupées ; les urgents et les cas distincts gardent leur message. · Spam, praise and near-identical "
            "comments are grouped with bulk actions; urgent and distinctive ones keep their own message.",
            b=backlog,
            t=threshold,
        )
    else:
        text = fmt(
            ":sunny: *Mode tempête terminé · Storm mode off* — un message par commentaire à nouveau · "
            "one message per comment again."
        )
    return text, [SectionBlock(text=mrkdwn(text)).to_dict()]


def edit_reply_modal(group_id: int, text: str, size: int) -> dict[str, Any]:
    """The reply for all, to edit: an input's `initial_value` is never parsed by Slack and comes back as
    typed, so it stays raw."""
    view = View(
        type="modal",
        callback_id=EDIT_REPLY_ALL,
        private_metadata=str(group_id),
        title="Réponse pour tous",
        submit="Approuver · Approve",
        close="Annuler · Cancel",
        blocks=[
            ContextBlock(
                elements=[mrkdwn(fmt("Publiée sous chacun des {} commentaires · posted under each of them", size))]
            ),
            InputBlock(
                block_id=REPLY_TEXT,
                label="Réponse · Reply",
                element=PlainTextInputElement(action_id=REPLY_TEXT, multiline=True, initial_value=cut(text, 3000)),
            ),
        ],
    )
    return view.to_dict()
