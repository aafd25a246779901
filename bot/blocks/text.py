"""Text in what Sowana sends to Slack: the one way outside text (comments, author names, notes, platform
errors, model output, anything someone else typed) gets into a message, a modal or an ephemeral note.

Slack reads `&`, `<` and `>` as control characters in every text object (mrkdwn and plain_text) and in a
message's top-level `text`; only `&amp;`, `&lt;` and `&gt;` are decoded back for display
(https://docs.slack.dev/messaging/formatting-message-text#escaping). Escaped, `<!channel>`, `<!here>`,
`<@U…>`, `<#C…>`, `<!subteam^S…>` and `<https://evil.example|votre remboursement>` show as typed and
neither notify anyone nor hide a link.

`SlackText` is text Slack may parse as it stands. Only this module makes it:
- `fmt(template, *args)`: the template is Sowana's own wording (a string literal: tests/bot/test_text.py
  checks every call), every argument is escaped unless it is `SlackText` already;
- `link`, `user`, `group`, `channel`, `HERE`: the control sequences Sowana means, from checked parts;
- `as_text(x)`: `x` itself when it is `SlackText`, else `x` escaped. Every text object (`mrkdwn`, `plain`)
  and every place that hands text to Slack goes through it, so text that skipped the builders is escaped,
  never parsed: a forgotten escape shows `&lt;` at worst, it cannot ping the team.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from slack_sdk.models.blocks import MarkdownTextObject, PlainTextObject

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_CONTROL = re.compile("[&<>]")


def escape(text: str) -> str:
    """&, < and > as Slack's entities; nothing else is touched, so the text stays the author's."""
    return _CONTROL.sub(lambda m: _ENTITIES[m.group()], text)


class SlackText(str):
    """Text fit to send to Slack: Sowana's own markup, every outside part escaped. Adding or joining a
    plain `str` escapes it, so the result stays fit."""

    __slots__ = ()

    def __add__(self, other: str) -> SlackText:
        return SlackText(str.__add__(self, as_text(other)))

    def __radd__(self, other: str) -> SlackText:
        return SlackText(str.__add__(as_text(other), self))

    def join(self, parts: Iterable[str]) -> SlackText:
        return SlackText(str.join(self, (as_text(p) for p in parts)))


def join(separator: str, parts: Iterable[str]) -> SlackText:
    """`separator.join(parts)`, each part escaped unless SlackText (so is the separator)."""
    return as_text(separator).join(parts)


def as_text(text: str) -> SlackText:
    """The one door into Slack: `SlackText` as it is, anything else escaped."""
    return text if isinstance(text, SlackText) else SlackText(escape(text))


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        out = format(value, format_spec)
        return out if isinstance(value, SlackText) else escape(out)


_FORMATTER = _Formatter()


def fmt(template: str, /, *args: Any, **kwargs: Any) -> SlackText:
    """`template.format(...)` with every argument escaped (unless SlackText). The template must be a string
    literal: it is the only text here allowed to carry markup."""
    return SlackText(_FORMATTER.vformat(template, args, kwargs))


def stored(text: str) -> SlackText:
    """Text made fit before it was stored (a queued Slack message read back from the database)."""
    return SlackText(text)


# --- lengths ------------------------------------------------------------------------------------------


def cut(text: str, limit: int) -> str:
    """Raw text shortened to `limit` characters with an ellipsis (before escaping, or for input values)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(text: str, limit: int) -> str:
    """Raw text on one line (runs of spaces and newlines folded), shortened to `limit`."""
    return cut(" ".join(text.split()), limit)


def clip(text: str, limit: int) -> SlackText:
    """Fit text shortened to `limit` characters, never inside an entity (`&amp;`) nor inside one of
    Sowana's own `<…>` sequences (a link or a mention cut in half would show its raw markup)."""
    fit = as_text(text)
    if len(fit) <= limit:
        return fit
    kept = str(fit)[: limit - 1]
    amp = kept.rfind("&")
    if amp != -1 and ";" not in kept[amp:]:
        kept = kept[:amp]
    opened = kept.rfind("<")
    if opened != -1 and ">" not in kept[opened:]:
        kept = kept[:opened]
    return SlackText(kept + "…")


def quote(text: str, limit: int = 2990) -> SlackText:
    """Outside text as a mrkdwn block quote ("> " before each line), `limit` characters at most."""
    lines = as_text(text).splitlines() or [""]
    body = SlackText("\n").join(SlackText("> " + line) for line in lines)
    return clip(body, limit)


# --- control sequences Sowana means ------------------------------------------------------------------

_USER = re.compile(r"[UW][A-Z0-9]{2,}")
_GROUP = re.compile(r"S[A-Z0-9]{2,}")
_CHANNEL = re.compile(r"[CGD][A-Z0-9]{2,}")
# Characters that would end a link's URL early or start another sequence; encoded as RFC 3986 does.
_URL_UNSAFE = re.compile(r"[<>|\s\"\x00-\x1f\x7f]")
HERE = SlackText("<!here>")  # the SLA reminders' call to whoever is in the channel


def user(user_id: str | None) -> SlackText:
    """A mention of a Slack user (U…/W…); anything that is not a user id is shown as text."""
    if user_id and _USER.fullmatch(user_id):
        return SlackText(f"<@{user_id}>")
    return as_text(user_id or "?")


def group(group_id: str) -> SlackText:
    if _GROUP.fullmatch(group_id):
        return SlackText(f"<!subteam^{group_id}>")
    return as_text(group_id)


def mention(who: str | None) -> SlackText:
    """A user (U…/W…) or a user group (S…) as Slack writes a mention of it; empty for nobody."""
    if not who:
        return SlackText("")
    return group(who) if who.startswith("S") else user(who)


def channel(channel_id: str) -> SlackText:
    if _CHANNEL.fullmatch(channel_id):
        return SlackText(f"<#{channel_id}>")
    return as_text(channel_id)


def link(url: str | None, label: str) -> SlackText:
    """`<url|label>` for an http(s) URL; anything else (no URL, `javascript:`, a relative path) gives the
    label alone. Characters that could close the link or open another sequence are percent-encoded."""
    shown = as_text(label)
    if not url:
        return shown
    target = url.strip()
    try:
        parts = urlsplit(target)
    except ValueError:
        return shown
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return shown
    target = _URL_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), target)
    return SlackText(f"<{target}|{shown}>")


# --- text objects -------------------------------------------------------------------------------------


def mrkdwn(text: str, limit: int = 3000) -> MarkdownTextObject:
    """A mrkdwn text object. `verbatim`: Slack still renders Sowana's markup, mentions and links, but does
    not turn bare words of outside text into links (a `#channel` name, a URL) by itself."""
    return MarkdownTextObject(text=clip(text, limit), verbatim=True)


def plain(text: str, limit: int = 3000, *, emoji: bool = True) -> PlainTextObject:
    """A plain_text object. Slack parses no mention there, but `&`, `<` and `>` are still its control
    characters (it stores a plain_text `&` as `&amp;` and decodes the three entities for display), so
    outside text is escaped here as well and no payload carries a raw `<!channel>`."""
    return PlainTextObject(text=clip(text, limit), emoji=emoji)
