"""The product in a real browser: a comment arrives by a signed Facebook webhook, the CM sees the full
review message in the local workspace page, clicks Approuver, and sees it published."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser.test_workspace_page import ARTIFACTS, chromium_path
from tests.flows.product import run_product

pytestmark = pytest.mark.browser


def test_review_message_and_approval_in_the_page(tmp_path):
    executable = chromium_path()
    ARTIFACTS.mkdir(exist_ok=True)
    with run_product(f"sqlite:///{tmp_path}/sowana.db", tmp_path) as product:
        external = product.fire_facebook("Bonjour! Livrez-vous à Sherbrooke? On vient de déménager 😊")
        comment = product.comment_by_external(external)
        product.wait_state(comment["id"], "posted")
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=executable,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
            )
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.goto(product.ws.base_url + "/")
            message = page.locator(".msg", has_text="Julie Tremblay").first
            expect(message).to_contain_text("Livrez-vous à Sherbrooke", timeout=15000)
            expect(message).to_contain_text("livraison-zones")  # the cited FAQ entry
            expect(message).to_contain_text("humour off")
            for label in ("Approuver · Approve", "Modifier · Edit", "Escalader au SAC · Escalate", "Masquer · Hide"):
                expect(message.get_by_role("button", name=label).first).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "review-message.png"))
            message.get_by_role("button", name="Approuver · Approve").first.click()
            expect(message).to_contain_text("Publié", timeout=15000)
            expect(message).to_contain_text("Camille (CM)")
            page.screenshot(path=str(ARTIFACTS / "review-approved.png"))
            browser.close()
        product.wait_state(comment["id"], "published")
        replies = [r for r in product.graph.get("/_emulator/published").json() if r["kind"] == "reply"]
        assert len(replies) == 1 and replies[0]["body"]["message"].startswith("Bonjour Julie")
