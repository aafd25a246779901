"""Block Kit limits, checked the way Slack answers: a list of "[ERROR] … [json-pointer:/…]" messages.

slack_sdk's own `Block.parse(...).validate_json()` is run too, but it does not look inside elements,
so the limits the bot is likely to hit (text lengths, ids, values, counts) are checked here.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000

MESSAGE_BLOCK_TYPES = {
    "section",
    "header",
    "divider",
    "context",
    "actions",
    "image",
    "input",
    "rich_text",
    "markdown",
    "file",
    "video",
}
ELEMENT_TYPES = {
    "button",
    "static_select",
    "multi_static_select",
    "overflow",
    "plain_text_input",
    "checkboxes",
    "radio_buttons",
    "datepicker",
    "timepicker",
    "datetimepicker",
    "users_select",
    "multi_users_select",
    "conversations_select",
    "multi_conversations_select",
    "channels_select",
    "multi_channels_select",
    "external_select",
    "multi_external_select",
    "email_text_input",
    "url_text_input",
    "number_input",
    "image",
    "rich_text_input",
    "workflow_button",
}


class Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def err(self, msg: str, path: str) -> None:
        self.errors.append(f"{msg} [json-pointer:{path}]")

    # --- primitives ------------------------------------------------------------------------
    def max_len(self, value: Any, limit: int, path: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.err(f"must be less than {limit + 1} characters", path)

    def text(self, obj: Any, path: str, limit: int, *, plain_only: bool = False, required: bool = True) -> None:
        if obj is None:
            if required:
                self.err("must provide an object", path)
            return
        if not isinstance(obj, dict):
            self.err("must provide an object", path)
            return
        kind = obj.get("type")
        allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if kind not in allowed:
            self.err(f"must be one of: {', '.join(allowed)}", f"{path}/type")
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            self.err("must be more than 0 characters", f"{path}/text")
            return
        self.max_len(text, limit, f"{path}/text")

    def ident(self, obj: dict[str, Any], key: str, path: str) -> None:
        value = obj.get(key)
        if value is not None:
            if not isinstance(value, str) or not value:
                self.err("must be a non-empty string", f"{path}/{key}")
            else:
                self.max_len(value, 255, f"{path}/{key}")

    def options(self, opts: Any, path: str, max_items: int, *, text_limit: int = 75) -> None:
        if not isinstance(opts, list) or not opts:
            self.err("must provide at least 1 item", path)
            return
        if len(opts) > max_items:
            self.err(f"must provide a maximum of {max_items} items", path)
        for i, opt in enumerate(opts):
            p = f"{path}/{i}"
            if not isinstance(opt, dict):
                self.err("must provide an object", p)
                continue
            self.text(opt.get("text"), f"{p}/text", text_limit)
            value = opt.get("value")
            if not isinstance(value, str) or not value:
                self.err("must be more than 0 characters", f"{p}/value")
            else:
                self.max_len(value, 150, f"{p}/value")
            if "description" in opt:
                self.text(opt["description"], f"{p}/description", 75)

    # --- elements --------------------------------------------------------------------------
    def element(self, el: Any, path: str) -> None:
        if not isinstance(el, dict):
            self.err("must provide an object", path)
            return
        kind = el.get("type")
        if kind not in ELEMENT_TYPES:
            self.err(f"unsupported type: {kind}", f"{path}/type")
            return
        self.ident(el, "action_id", path)
        if kind == "button":
            self.text(el.get("text"), f"{path}/text", 75, plain_only=True)
            self.max_len(el.get("value"), 2000, f"{path}/value")
            self.max_len(el.get("url"), 3000, f"{path}/url")
            if el.get("style") not in (None, "primary", "danger"):
                self.err("must be one of: primary, danger", f"{path}/style")
            if "confirm" in el:
                self.confirm(el["confirm"], f"{path}/confirm")
        elif kind in ("static_select", "multi_static_select"):
            if "placeholder" in el:
                self.text(el["placeholder"], f"{path}/placeholder", 150, plain_only=True)
            if "option_groups" in el:
                groups = el["option_groups"]
                if not isinstance(groups, list) or not 1 <= len(groups) <= 100:
                    self.err("must provide between 1 and 100 items", f"{path}/option_groups")
                else:
                    for g, group in enumerate(groups):
                        self.options(group.get("options"), f"{path}/option_groups/{g}/options", 100)
            else:
                self.options(el.get("options"), f"{path}/options", 100)
        elif kind == "overflow":
            self.options(el.get("options"), f"{path}/options", 5)
        elif kind in ("checkboxes", "radio_buttons"):
            self.options(el.get("options"), f"{path}/options", 10, text_limit=3000)
        elif kind == "plain_text_input":
            if "placeholder" in el:
                self.text(el["placeholder"], f"{path}/placeholder", 150, plain_only=True)
            self.max_len(el.get("initial_value"), 3000, f"{path}/initial_value")
            max_length = el.get("max_length")
            if max_length is not None and (not isinstance(max_length, int) or not 1 <= max_length <= 3000):
                self.err("must be between 1 and 3000", f"{path}/max_length")
        elif kind == "image":
            if not el.get("image_url") and not el.get("slack_file"):
                self.err("must provide image_url", f"{path}/image_url")
            if not el.get("alt_text"):
                self.err("must be more than 0 characters", f"{path}/alt_text")

    def confirm(self, obj: Any, path: str) -> None:
        if not isinstance(obj, dict):
            self.err("must provide an object", path)
            return
        self.text(obj.get("title"), f"{path}/title", 100, plain_only=True)
        self.text(obj.get("text"), f"{path}/text", 300)
        self.text(obj.get("confirm"), f"{path}/confirm", 30, plain_only=True)
        self.text(obj.get("deny"), f"{path}/deny", 30, plain_only=True)

    def element_ids_unique(self, elements: list[Any], path: str) -> None:
        seen: set[str] = set()
        for i, el in enumerate(elements):
            if isinstance(el, dict) and el.get("action_id"):
                if el["action_id"] in seen:
                    self.err("action_id must be unique within a block", f"{path}/{i}/action_id")
                seen.add(el["action_id"])

    # --- blocks ----------------------------------------------------------------------------
    def block(self, block: Any, path: str) -> None:
        if not isinstance(block, dict):
            self.err("must provide an object", path)
            return
        kind = block.get("type")
        if kind not in MESSAGE_BLOCK_TYPES:
            self.err(f"unsupported type: {kind}", f"{path}/type")
            return
        before = len(self.errors)
        self.ident(block, "block_id", path)
        if kind == "section":
            if "text" not in block and "fields" not in block:
                self.err("must provide either text or fields", path)
            if "text" in block:
                self.text(block["text"], f"{path}/text", 3000)
            if "fields" in block:
                fields = block["fields"]
                if not isinstance(fields, list) or not 1 <= len(fields) <= 10:
                    self.err("must provide between 1 and 10 items", f"{path}/fields")
                else:
                    for i, f in enumerate(fields):
                        self.text(f, f"{path}/fields/{i}", 2000)
            if "accessory" in block:
                self.element(block["accessory"], f"{path}/accessory")
        elif kind == "header":
            self.text(block.get("text"), f"{path}/text", 150, plain_only=True)
        elif kind == "context":
            els = block.get("elements")
            if not isinstance(els, list) or not 1 <= len(els) <= 10:
                self.err("must provide between 1 and 10 items", f"{path}/elements")
            else:
                for i, el in enumerate(els):
                    if isinstance(el, dict) and el.get("type") == "image":
                        self.element(el, f"{path}/elements/{i}")
                    else:
                        self.text(el, f"{path}/elements/{i}", 3000)
        elif kind == "actions":
            els = block.get("elements")
            if not isinstance(els, list) or not 1 <= len(els) <= 25:
                self.err("must provide between 1 and 25 items", f"{path}/elements")
            else:
                for i, el in enumerate(els):
                    self.element(el, f"{path}/elements/{i}")
                self.element_ids_unique(els, f"{path}/elements")
        elif kind == "image":
            if not block.get("image_url") and not block.get("slack_file"):
                self.err("must provide image_url", f"{path}/image_url")
            self.max_len(block.get("image_url"), 3000, f"{path}/image_url")
            if not block.get("alt_text"):
                self.err("must be more than 0 characters", f"{path}/alt_text")
            self.max_len(block.get("alt_text"), 2000, f"{path}/alt_text")
            if "title" in block:
                self.text(block["title"], f"{path}/title", 2000, plain_only=True)
        elif kind == "input":
            self.text(block.get("label"), f"{path}/label", 2000, plain_only=True)
            if "hint" in block:
                self.text(block["hint"], f"{path}/hint", 2000, plain_only=True)
            self.element(block.get("element"), f"{path}/element")
        elif kind == "markdown":
            if not block.get("text"):
                self.err("must be more than 0 characters", f"{path}/text")
            self.max_len(block.get("text"), 12_000, f"{path}/text")
        if len(self.errors) == before:
            self.sdk_check(block, path)

    def sdk_check(self, block: dict[str, Any], path: str) -> None:
        try:
            parsed = Block.parse(block)
            if parsed is not None:
                parsed.validate_json()
        except SlackObjectFormationError as exc:
            self.err(str(exc), path)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            self.err(f"invalid block: {exc}", path)

    def blocks(self, blocks: Any, path: str, max_blocks: int) -> None:
        if not isinstance(blocks, list):
            self.err("must provide an array", path)
            return
        if len(blocks) > max_blocks:
            self.err(f"must provide a maximum of {max_blocks} items", path)
        ids: set[str] = set()
        for i, block in enumerate(blocks):
            self.block(block, f"{path}/{i}")
            if isinstance(block, dict) and isinstance(block.get("block_id"), str):
                if block["block_id"] in ids:
                    self.err("block_id must be unique", f"{path}/{i}/block_id")
                ids.add(block["block_id"])


def message_block_errors(blocks: Any) -> list[str]:
    """Errors for a message's `blocks` (empty list = valid)."""
    checker = Checker()
    checker.blocks(blocks, "/blocks", MAX_MESSAGE_BLOCKS)
    return checker.errors


def view_errors(view: Any) -> list[str]:
    """Errors for a modal `view` object, pointers rooted at /view like Slack's."""
    checker = Checker()
    if not isinstance(view, dict):
        checker.err("must provide an object", "/view")
        return checker.errors
    if view.get("type") not in ("modal", "home"):
        checker.err("must be one of: modal, home", "/view/type")
    if view.get("type") == "modal":
        checker.text(view.get("title"), "/view/title", 24, plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                checker.text(view[key], f"/view/{key}", 24, plain_only=True)
    blocks = view.get("blocks")
    checker.blocks(blocks, "/view/blocks", MAX_VIEW_BLOCKS)
    has_input = isinstance(blocks, list) and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    if has_input and view.get("type") == "modal" and "submit" not in view:
        checker.err("must provide submit when the view contains input blocks", "/view/submit")
    checker.max_len(view.get("callback_id"), 255, "/view/callback_id")
    checker.max_len(view.get("private_metadata"), 3000, "/view/private_metadata")
    checker.max_len(view.get("external_id"), 255, "/view/external_id")
    return checker.errors
