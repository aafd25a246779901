"""The reply windows the team sees (#24): what Meta allows, said in both languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.comments.window import (
    HUMAN_AGENT_TAG,
    describe,
    message_tag,
    message_window,
    private_reply_window,
    refusal,
)

T0 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def test_meta_gives_24_hours_from_the_persons_last_message_and_x_none():
    window = message_window("facebook", T0)
    assert window is not None and window.closes_at == T0 + timedelta(hours=24)
    assert describe(window, T0 + timedelta(hours=21)) == "fenêtre de réponse : 3 h restantes · reply window: 3 h left"
    assert describe(window, T0 + timedelta(hours=23, minutes=15)) == (
        "fenêtre de réponse : 45 min restantes · reply window: 45 min left"
    )
    assert "reply window closed" in (describe(window, T0 + timedelta(hours=25)) or "")
    assert message_window("x", T0) is None and describe(None, T0) is None


def test_a_human_agent_tag_extends_the_window_to_seven_days_and_is_used_only_past_24_hours():
    window = message_window("instagram", T0, human_agent=True)
    assert window is not None and window.closes_at == T0 + timedelta(days=7)
    assert message_tag(window, T0 + timedelta(hours=2)) is None
    assert message_tag(window, T0 + timedelta(hours=30)) == HUMAN_AGENT_TAG
    assert describe(window, T0 + timedelta(hours=1)) == "fenêtre de réponse : 6 j restantes · reply window: 6 d left"


def test_a_private_reply_to_a_comment_has_seven_days_and_its_refusal_says_so():
    window = private_reply_window("facebook", T0)
    assert window is not None and window.closes_at == T0 + timedelta(days=7)
    why = refusal(window, "facebook", private_reply=True)
    assert "7 jours après le commentaire" in why and "7 days after the comment" in why
    assert "Answer publicly" in why
