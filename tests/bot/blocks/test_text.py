"""bot/blocks/text.py, the one way outside text gets into Slack: what it escapes, what it keeps, and a scan
of the code showing nothing else puts text into a Slack text object or builds its own escaping."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.blocks.text import (
    HERE,
    SlackText,
    as_text,
    channel,
    clip,
    fmt,
    join,
    link,
    mention,
    mrkdwn,
    plain,
    quote,
    user,
)

ROOT = Path(__file__).resolve().parents[3]
PING = "<!channel> <!here> <!everyone> <@U0CM> <#C0REVIEW> <!subteam^S0TEAM>"
FAKE_LINK = "<https://evil.example|votre remboursement>"


def test_outside_text_can_neither_ping_nor_hide_a_link():
    out = as_text(f"{PING} {FAKE_LINK} & co")
    assert "<" not in out and ">" not in out
    assert out == (
        "&lt;!channel&gt; &lt;!here&gt; &lt;!everyone&gt; &lt;@U0CM&gt; &lt;#C0REVIEW&gt; &lt;!subteam^S0TEAM&gt; "
        "&lt;https://evil.example|votre remboursement&gt; &amp; co"
    )
    # Already-escaped text stays what the author typed: it is not decoded into a live sequence.
    assert as_text("&lt;!channel&gt;") == "&amp;lt;!channel&amp;gt;"
    assert as_text(out) is out  # fit text is not escaped twice


def test_templates_keep_their_markup_and_escape_every_argument():
    line = fmt(":wave: {} a écrit *{}* · {n} fois", user("U0CM"), "<!channel>", n=3)
    assert line == ":wave: <@U0CM> a écrit *&lt;!channel&gt;* · 3 fois"
    assert fmt("{:.1f} %", 12.345) == "12.3 %"
    assert fmt("{!r}", "<x>") == "'&lt;x&gt;'"
    # Adding or joining plain str escapes it, on either side.
    assert isinstance(fmt("a") + "<b>", SlackText) and fmt("a") + "<b>" == "a&lt;b&gt;"
    assert "<b>" + fmt("a") == "&lt;b&gt;a"
    assert join(" · ", [user("U1X"), "<@U2X>"]) == "<@U1X> · &lt;@U2X&gt;"
    # f-strings lose the type: the text objects then escape the whole, markup included (visible, harmless).
    assert mrkdwn(f"{user('U0CM')}").to_dict()["text"] == "&lt;@U0CM&gt;"


def test_mentions_come_only_from_ids():
    assert user("U0CM") == "<@U0CM>" and user("W0ABC") == "<@W0ABC>"
    assert user("<!channel>") == "&lt;!channel&gt;" and user("sowana") == "sowana" and user(None) == "?"
    assert mention("S0LEAD") == "<!subteam^S0LEAD>" and mention("U0SAC") == "<@U0SAC>" and mention(None) == ""
    assert mention("S0LEAD> <!channel") == "S0LEAD&gt; &lt;!channel"
    assert channel("C0SAC") == "<#C0SAC>" and channel("C0SAC|x") == "C0SAC|x"
    assert HERE == "<!here>"


def test_links_only_for_http_urls_and_they_cannot_be_broken_out_of():
    assert link("https://www.facebook.com/1?a=1&b=2", "Facebook") == "<https://www.facebook.com/1?a=1&b=2|Facebook>"
    assert link("javascript:alert(1)", "Facebook") == "Facebook"
    assert link("/relative", "Facebook") == "Facebook" and link(None, "<x>") == "&lt;x&gt;"
    sneaky = link("https://ok.example/a|<!channel>> <@U0CM>", "<!here>")
    assert sneaky == "<https://ok.example/a%7C%3C!channel%3E%3E%20%3C@U0CM%3E|&lt;!here&gt;>"


def test_clipping_never_cuts_an_entity_or_a_link():
    text = fmt("{}{}", "é" * 7, "<<<<")  # "ééééééé&lt;&lt;…"
    for limit in range(2, len(text)):
        cut_text = clip(text, limit)
        assert len(cut_text) <= limit and cut_text.endswith("…")
        tail = cut_text[:-1]
        assert "&" not in tail or tail.endswith(";")
    linked = fmt("voir {}", link("https://example.test/long/path", "la réponse"))
    for limit in range(2, len(linked)):
        kept = clip(linked, limit)[:-1]
        assert "<" not in kept or kept.endswith(">")


def test_quotes_and_text_objects():
    assert quote("<!channel>\nsecond") == "> &lt;!channel&gt;\n> second"
    assert len(quote("x" * 5000)) <= 2990
    obj = mrkdwn("<@U0CM>").to_dict()
    assert obj == {"type": "mrkdwn", "text": "&lt;@U0CM&gt;", "verbatim": True}
    assert plain("Julie <!channel>", 150).to_dict()["text"] == "Julie &lt;!channel&gt;"
    assert len(plain("é" * 300, 150).to_dict()["text"]) <= 150


# --- the one way: a scan of the code -----------------------------------------------------------------

TEXT_MODULE = ROOT / "bot" / "blocks" / "text.py"
# The local Slack workspace and the platform emulators play Slack and Meta; they are not Sowana talking.
NOT_SOWANA = (ROOT / "bot" / "workspace", ROOT / "api" / "emulators")
TEXT_KWARGS = {"text", "title", "label", "placeholder", "submit", "close", "confirm", "deny", "hint", "description"}
TEXT_OBJECTS = {"plain", "mrkdwn"}


def _sources() -> list[tuple[Path, ast.Module]]:
    found = []
    for folder in (ROOT / "bot", ROOT / "api"):
        for path in sorted(folder.rglob("*.py")):
            if path == TEXT_MODULE or any(path.is_relative_to(p) for p in NOT_SOWANA) or "migrations" in path.parts:
                continue
            found.append((path, ast.parse(path.read_text(), str(path))))
    return found


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"


def test_nothing_but_text_py_makes_slack_text_or_text_objects():
    wrong = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = _name(node.func)
                if name in ("SlackText", "MarkdownTextObject", "PlainTextObject", "escape_mrkdwn"):
                    wrong.append(f"{_where(path, node)} calls {name}")
                if name == "stored" and path != ROOT / "bot" / "slack" / "review.py":  # queued text read back, only
                    wrong.append(f"{_where(path, node)} calls stored")
                if name == "fmt" and not (
                    node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                ):
                    wrong.append(f"{_where(path, node)}: fmt's template is not a string literal")
            if isinstance(node, ast.Dict):  # a hand-made {"type": "mrkdwn", "text": …}
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "type"
                        and isinstance(value, ast.Constant)
                        and value.value in ("mrkdwn", "plain_text")
                    ):
                        wrong.append(f"{_where(path, node)} builds a {value.value} object by hand")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "&lt;" in node.value:
                wrong.append(f"{_where(path, node)} escapes by itself")
    assert wrong == []


def test_block_kit_text_in_the_builders_is_ours_or_goes_through_text_py():
    """In bot/blocks, a Block Kit object's text is a literal of ours, or made by `plain()` / `mrkdwn()`."""
    wrong = []
    for path, tree in _sources():
        if path.parent != ROOT / "bot" / "blocks":
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not _name(node.func)[:1].isupper():
                continue
            for kw in node.keywords:
                value = kw.value
                literal = isinstance(value, ast.Constant) and isinstance(value.value, str)
                made = isinstance(value, ast.Call) and _name(value.func) in TEXT_OBJECTS
                nested = isinstance(value, ast.Call) and _name(value.func)[:1].isupper()  # e.g. ConfirmObject
                if kw.arg in TEXT_KWARGS and not (literal or made or nested):
                    wrong.append(f"{_where(path, node)}: {_name(node.func)}({kw.arg}=…) is neither ours nor made")
                if kw.arg == "elements" and _name(node.func) == "ContextBlock" and isinstance(value, ast.List):
                    for el in value.elts:
                        if not (isinstance(el, ast.Call) and _name(el.func) in TEXT_OBJECTS):
                            wrong.append(f"{_where(path, node)}: a context element not made by plain()/mrkdwn()")
    assert wrong == []
