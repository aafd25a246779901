"""Block Kit limits are refused the way Slack refuses them (pointer to the faulty field)."""

from __future__ import annotations

from api.emulators.slack.blockkit import message_block_errors, view_errors


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text: str = "Approuver", **extra: str) -> dict:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": "approve_reply", **extra}


def test_valid_review_message_passes() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Commentaire Facebook 🥕"}},
        section("*Marie* : Où livrez-vous ? / Where do you deliver?"),
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "fr · question · :large_green_circle:"}]},
        {"type": "actions", "elements": [button(style="primary", value="p1")]},
    ]
    assert message_block_errors(blocks) == []


def test_section_text_over_3000_points_at_the_text() -> None:
    assert message_block_errors([section("é" * 3001)]) == [
        "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
    ]
    assert message_block_errors([section("é" * 3000)]) == []


def test_more_than_50_blocks_refused() -> None:
    errors = message_block_errors([section("x")] * 51)
    assert "must provide a maximum of 50 items [json-pointer:/blocks]" in errors


def test_button_limits_text_value_action_id() -> None:
    too_long = button("B" * 76, value="v" * 2001)
    too_long["action_id"] = "a" * 256
    errors = message_block_errors([{"type": "actions", "elements": [too_long]}])
    assert any("/blocks/0/elements/0/text/text" in e for e in errors)
    assert any("/blocks/0/elements/0/value" in e for e in errors)
    assert any("/blocks/0/elements/0/action_id" in e for e in errors)


def test_header_block_id_empty_text_and_unknown_type() -> None:
    errors = message_block_errors(
        [
            {"type": "header", "text": {"type": "plain_text", "text": "H" * 151}},
            {"type": "section", "block_id": "b" * 256, "text": {"type": "mrkdwn", "text": "ok"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": ""}},
            {"type": "carousel"},
        ]
    )
    assert any(e.endswith("[json-pointer:/blocks/0/text/text]") for e in errors)
    assert any(e.endswith("[json-pointer:/blocks/1/block_id]") for e in errors)
    assert "must be more than 0 characters [json-pointer:/blocks/2/text/text]" in errors
    assert any(e.endswith("[json-pointer:/blocks/3/type]") for e in errors)


def test_duplicate_block_ids_and_bad_style() -> None:
    errors = message_block_errors(
        [
            {"type": "actions", "block_id": "a", "elements": [button(style="green")]},
            {"type": "divider", "block_id": "a"},
        ]
    )
    assert any("style" in e for e in errors)
    assert any("block_id must be unique" in e for e in errors)


def test_modal_limits() -> None:
    base = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Modifier la réponse"},
        "submit": {"type": "plain_text", "text": "Publier"},
    }
    assert view_errors({**base, "blocks": [section("ok")] * 100}) == []
    assert "must provide a maximum of 100 items [json-pointer:/view/blocks]" in view_errors(
        {**base, "blocks": [section("ok")] * 101}
    )
    long_title = {**base, "title": {"type": "plain_text", "text": "T" * 25}, "blocks": []}
    assert any("/view/title/text" in e for e in view_errors(long_title))
    no_submit = {
        "type": "modal",
        "title": base["title"],
        "blocks": [
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "Réponse"},
                "element": {"type": "plain_text_input", "action_id": "reply_text"},
            }
        ],
    }
    assert any("/view/submit" in e for e in view_errors(no_submit))
