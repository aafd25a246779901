"""A comment's log lines, as a log collector reads them (SOWANA_LOG_FORMAT=json): the id of the request
that brought it is on every line about it — stored, triaged, drafted, posted, published — and no line
holds what the person wrote, nor their name."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from api.platforms.signatures import meta_signature
from bot.logs import JsonFormatter, RequestIdFilter
from bot.models import Comment
from tests.flows.conftest import CM, REVIEW, Flow, button_value, run_flow

SECRET_TEXT = "Livrez-vous à Saint-Hyacinthe le mardi? Mon code est 4417"
AUTHOR = "Gwendoline Lapointe-Ouellet"
APP_SECRET, PAGE = "flow-meta-secret", "1234567890"


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield out
    root.removeHandler(handler)
    root.setLevel(level)


def test_a_comments_lines_carry_its_request_id_from_webhook_to_publication(
    database_url: str, engine: object, json_lines: io.StringIO
):
    change = {
        "item": "comment",
        "verb": "add",
        "comment_id": f"{PAGE}_5_77",
        "post_id": f"{PAGE}_5",
        "parent_id": f"{PAGE}_5",
        "from": {"id": "9001", "name": AUTHOR},
        "message": SECRET_TEXT,
        "created_time": 1764806400,
    }
    body = json.dumps(
        {"object": "page", "entry": [{"id": PAGE, "time": 1764806401, "changes": [{"field": "feed", "value": change}]}]}
    ).encode()
    with run_flow(database_url, engine, meta_app_secret=APP_SECRET, meta_page_ids=PAGE) as flow:
        answer = flow.api.post(
            "/webhooks/meta",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Hub-Signature-256": meta_signature(APP_SECRET, body),
                "X-Request-ID": "lb-req-20261204-0001",  # the load balancer's id
            },
        )
        assert answer.status_code == 200 and answer.headers["x-request-id"] == "lb-req-20261204-0001"
        with Session(flow.engine) as s:  # stored before the 200
            cid = s.exec(select(Comment.id).where(Comment.external_id == change["comment_id"])).one()
        msg = flow.review_message(cid)
        flow.ws.click(CM, REVIEW, msg["ts"], "approve_reply", value=button_value(msg, "approve_reply"))
        flow.wait_state(cid, "published")

    text = json_lines.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]  # every line is one JSON object
    messages = [line["message"] for line in lines if line.get("request_id") == "lb-req-20261204-0001"]
    assert f"comment {cid} stored (default, facebook)" in messages
    assert f"comment {cid}: received → triaged" in messages
    assert any(m.startswith(f"comment {cid}: triaged → proposed") for m in messages)
    assert any(m.startswith(f"comment {cid}: public_reply published on facebook") for m in messages)
    assert SECRET_TEXT not in text and "Saint-Hyacinthe" not in text and AUTHOR not in text


def test_a_request_without_a_usable_id_gets_one_and_it_comes_back(flow: Flow):
    for sent in ({}, {"X-Request-ID": "<b>not an id</b> " + "x" * 80}):
        made = flow.api.get("/healthz", headers=sent).headers["x-request-id"]
        assert len(made) == 16 and made.isalnum()
