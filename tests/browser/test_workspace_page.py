"""The local workspace page in a real browser: a bot's review message, a click, the bot's update."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from tests.api.emulators.slack.bolt_bot import TOKEN, wired_workspace

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        reason = "Debian's chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


REVIEW: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": ":speech_balloon: Facebook · Les Paniers du Coin"}},
    {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": (
                "*Marie Tremblay* a commenté <https://facebook.com/post/1|votre publication> :\n"
                "> Est-ce que vous livrez à Sherbrooke ? Mon panier de la semaine dernière était _parfait_ :carrot:"
            ),
        },
    },
    {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": (
                    ":flag-ca: fr · question · :large_green_circle: positif · priorité normale"
                    " · humour : non (question pratique)"
                ),
            }
        ],
    },
    {"type": "divider"},
    {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": (
                "*Proposition 1 · persona Chaleureuse*\n"
                "Bonjour Marie ! Oui, nous livrons à Sherbrooke tous les jeudis. "
                "Merci pour votre beau message :blush:\n_Sources : FAQ « Zones de livraison »_"
            ),
        },
        "accessory": {
            "type": "button",
            "action_id": "approve_reply",
            "value": "p-1",
            "style": "primary",
            "text": {"type": "plain_text", "text": "Approuver"},
        },
    },
    {
        "type": "actions",
        "block_id": "case_actions",
        "elements": [
            {
                "type": "button",
                "action_id": "edit_reply",
                "value": "p-1",
                "text": {"type": "plain_text", "text": "Modifier"},
            },
            {
                "type": "button",
                "action_id": "escalate_case",
                "value": "c-1",
                "text": {"type": "plain_text", "text": "Escalader au SAC"},
            },
            {
                "type": "button",
                "action_id": "hide_comment",
                "value": "c-1",
                "style": "danger",
                "text": {"type": "plain_text", "text": "Masquer"},
            },
            {
                "type": "static_select",
                "action_id": "redraft",
                "placeholder": {"type": "plain_text", "text": "Reformuler…"},
                "options": [
                    {"text": {"type": "plain_text", "text": "Sérieuse"}, "value": "serieuse"},
                    {"text": {"type": "plain_text", "text": "Taquine"}, "value": "taquine"},
                ],
            },
            {
                "type": "overflow",
                "action_id": "triage_fix",
                "options": [
                    {"text": {"type": "plain_text", "text": "Corriger l'intention"}, "value": "intent"},
                    {"text": {"type": "plain_text", "text": "Humour : oui"}, "value": "humor_on"},
                ],
            },
        ],
    },
]


def test_page_shows_review_message_click_and_bot_update() -> None:
    exe = chromium_path()
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with wired_workspace() as w:
        posted = asyncio.run(
            AsyncWebClient(token=TOKEN, base_url=w.api_url).chat_postMessage(
                channel="C0REVIEW", text="Nouveau commentaire de Marie Tremblay", blocks=REVIEW
            )
        )
        ts = posted["ts"]
        w.ws.post_message("U0SAC", "C0REVIEW", "Je vérifie le jeudi avec la logistique :truck:", thread_ts=ts)
        w.ws.react("U0SAC", "C0REVIEW", ts, "eyes")
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=exe,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
            )
            try:
                page = browser.new_page(viewport={"width": 1360, "height": 860})
                page.goto(f"{w.base_url}/?as=U0CM#/C0REVIEW")
                message = page.locator(f'.messages .msg[data-ts="{ts}"]')
                expect(message.get_by_role("button", name="Approuver")).to_be_visible(timeout=10_000)
                expect(message).to_contain_text("Est-ce que vous livrez à Sherbrooke")
                expect(message.locator(".reaction")).to_contain_text("1")
                expect(message.locator(".thread-link")).to_contain_text("1 réponse")
                page.screenshot(path=str(ARTIFACTS / "workspace-review.png"))

                # The edit modal goes through block_actions → views.open → view_submission.
                message.get_by_role("button", name="Modifier").click()
                modal = page.locator("#modal .modal")
                expect(modal).to_contain_text("Modifier la réponse", timeout=10_000)
                modal.locator("textarea").fill("Bonjour Marie ! Oui, le jeudi. Thanks! 🥕")
                page.screenshot(path=str(ARTIFACTS / "workspace-modal.png"))
                modal.get_by_role("button", name="Publier").click()
                expect(page.locator("#modal")).to_be_hidden(timeout=10_000)
                expect(message.locator(".thread-link")).to_contain_text("2 réponses", timeout=10_000)

                message.get_by_role("button", name="Approuver").click()
                expect(message).to_contain_text("Approuvé par @Camille (CM)", timeout=10_000)
                expect(message.get_by_role("button", name="Approuver")).to_have_count(0)
                message.locator(".thread-link").click()
                expect(page.locator("#thread")).to_contain_text("Publié : Bonjour Marie ! Oui, le jeudi. Thanks! 🥕")
                page.screenshot(path=str(ARTIFACTS / "workspace-approved.png"))
            finally:
                browser.close()
        assert [a["actions"][0]["action_id"] for a in w.rec.actions] == ["edit_reply", "approve_reply"]
        assert w.rec.errors == []
