"""The local workspace page shows every emoji shortcode Sowana's own messages use as the emoji Slack
would show, not as ":inbox_tray:" text (the digest once did)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
EMOJI_JS = ROOT / "api" / "emulators" / "slack" / "page" / "emoji.js"
# A shortcode inside a quoted string of our code; ids such as "meta:feed:edited:…" are not in a literal of their own.
SHORTCODE = re.compile(r"(?<![\w:]):([a-z][a-z0-9_+-]*):(?![\w:])")


def test_every_shortcode_in_our_messages_has_its_emoji_on_the_local_page() -> None:
    known = set(re.findall(r'"?([\w+-]+)"?\s*:\s*"', EMOJI_JS.read_text(encoding="utf-8")))
    used = {
        code
        for path in (ROOT / "bot").rglob("*.py")
        for code in SHORTCODE.findall(path.read_text(encoding="utf-8"))
        if not code.isdigit()
    }
    assert used, "no shortcode found: the scan is broken"
    assert {"inbox_tray", "label", "ballot_box_with_check", "sos"} <= used
    assert sorted(used - known) == []
