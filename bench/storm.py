"""A 10,000-comment storm into one review channel, drained through the Slack sender and storm mode
with the local workspace's rate limit on: how long it takes in Slack-limited time, how many Slack
messages it took, and how many comments were lost (must be 0) or shown twice (must be 0).

Slack allows about one chat.postMessage a second per channel. To finish in minutes, the run is
sped up `--speedup` times: the workspace allows `speedup` messages a second and the sender paces
itself the same. The Slack-limited time is messages ÷ 1 s, or the measured wall time when the
database work (recording each grouped comment) takes longer; wall × speedup is printed as an upper
bound (it scales database time that does not depend on Slack). The backlog is built first (stored,
triaged, drafted, queued), then the sender drains it. Triage is a labelled stand-in (the real classifier
is benched in bench/triage.py) and drafting a template, so the figure is the sender's.

    uv run python bench/storm.py [--comments 10000] [--speedup 20] [--threshold 50] [--database-url URL]
                                 [--processes 2]

With `--processes N` (PostgreSQL), N-1 more processes run the same app (worker and sender) on the same
database and workspace, as `sowana serve` processes behind a load balancer would; all share the work.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import col, func, select  # noqa: E402

from api.app import create_app  # noqa: E402
from api.emulators.slack import RateLimit, WorkspaceConfig  # noqa: E402
from api.emulators.slack.client import WorkspaceClient, run_workspace  # noqa: E402
from api.emulators.slack.serving import free_port, serve_in_thread  # noqa: E402
from bot.brain import Brain  # noqa: E402
from bot.comments.ingest import CommentIn, ingest  # noqa: E402
from bot.comments.steps import ProposalSpec  # noqa: E402
from bot.db import make_engine, session_scope, upgrade  # noqa: E402
from bot.models import Comment, SlackOutgoing, SlackPost  # noqa: E402
from bot.settings import load_settings  # noqa: E402

REVIEW = "C0REVIEW"
COMPLAINTS = [
    "Encore une livraison en retard, c'est inadmissible",
    "Mon panier est arrivé abîmé, scandaleux",
    "Votre appli plante depuis ce matin, impossible de commander",
    "Trois jours sans réponse du service client, honteux",
    "Les légumes étaient pourris cette semaine",
    "Late delivery again, this is unacceptable",
    "Your app keeps crashing, I can't order anything",
    "I was charged twice for the same basket",
]
SPAM = [
    "Gagnez un iPhone gratuit sur www.promo{n}.biz",
    "Crypto x100 garanti, DM moi {n}",
    "Follow me for free followers {n}",
]
PRAISE = ["Merci pour tout !", "Bravo l'équipe", "J'adore vos paniers", "Best veggies in town", "Top service, merci"]
Q_START = [
    "Livrez-vous",
    "Est-ce possible d'avoir",
    "Combien coûte",
    "Où trouver",
    "Pouvez-vous ajouter",
    "Can I get",
    "Do you deliver",
    "Is there",
    "Comment obtenir",
    "Quand arrive",
]
Q_WHAT = [
    "du tofu",
    "des pommes",
    "un panier familial",
    "du pain sans gluten",
    "des oeufs bio",
    "a vegan box",
    "gift cards",
    "du fromage local",
    "des fleurs",
    "a student discount",
    "du miel",
    "des épices",
]
Q_WHERE = [
    "à Sherbrooke",
    "à Laval",
    "in Gatineau",
    "à Lévis",
    "in Montreal west",
    "à Rimouski",
    "near Trois-Rivières",
    "au bureau",
    "à la campagne",
    "in Saguenay",
]
Q_WHEN = ["le samedi", "pour Noël", "cet été", "after 6 pm", "le matin", "during holidays", "chaque mois", "demain"]


def storm_texts(n: int, seed: int = 7) -> list[tuple[str, str, str]]:
    """(text, intent, priority) for a bad-buzz day: mostly repeated complaints, spam and praise,
    a few distinctive questions, a few urgent cases."""
    rnd = random.Random(seed)
    out: list[tuple[str, str, str]] = []
    for i in range(n):
        r = rnd.random()
        if r < 0.50:
            base = rnd.choice(COMPLAINTS)
            out.append((base + rnd.choice(["", " !", "!!", " 😡", ". Vraiment.", " #boycott"]), "complaint", "normal"))
        elif r < 0.70:
            out.append((rnd.choice(SPAM).format(n=i), "spam", "low"))
        elif r < 0.94:
            out.append((rnd.choice(PRAISE) + rnd.choice(["", " ❤️", "!"]), "praise", "normal"))
        elif r < 0.995:  # distinctive: each its own combination of words
            parts = [rnd.choice(Q_START), rnd.choice(Q_WHAT), rnd.choice(Q_WHERE), rnd.choice(Q_WHEN)]
            out.append((" ".join(parts) + " ?", "question", "normal"))
        else:
            out.append((f"Je suis à bout, votre produit m'a rendu malade (cas {i})", "distress", "urgent"))
    return out


def make_brain(labels: dict[str, tuple[str, str]]) -> Brain:
    def classify(comment: Comment) -> tuple[dict[str, Any], str]:
        intent, priority = labels.get(comment.external_id, ("other", "normal"))
        return {"intent": intent, "priority": priority, "lang": "fr", "sentiment": "neg"}, "bench"

    def drafter(comment: Comment, triage: dict[str, Any] | None, persona: str) -> Sequence[ProposalSpec]:
        return [
            ProposalSpec(text="Merci de votre message, nous regardons cela de près.", kind="serious", persona=persona)
        ]

    return Brain(classify=classify, drafter=drafter)


def bench_settings(args: argparse.Namespace, url: str, tmp: str, ws_config: WorkspaceConfig, ws_url: str) -> Any:
    return load_settings(
        database_url=url,
        chroma_path=f"{tmp}/chroma",
        **ws_config.app_settings(ws_url),
        review_channel=REVIEW,
        api_token="bench",
        worker_poll_seconds=0.05,
        slack_posts_per_second=args.speedup,
        slack_post_burst=3,
        storm_threshold=args.threshold,
    )


def queued_reviews(engine: Any) -> int:
    with session_scope(engine) as s:
        return int(
            s.exec(select(func.count()).select_from(SlackOutgoing).where(col(SlackOutgoing.kind) == "review")).one()
        )


def shown_comments(engine: Any) -> int:
    """Comments in front of the team: in their own review message or in a summary."""
    with session_scope(engine) as s:
        return int(s.exec(select(func.count(func.distinct(SlackPost.comment_id)))).one())


def join(args: argparse.Namespace) -> None:
    """One more process on the same database and workspace: triage, drafts and sends with the others."""
    tmp = tempfile.mkdtemp(prefix="sowana-storm-join-")
    engine = make_engine(args.database_url)
    texts = storm_texts(args.comments)
    labels = {f"storm-{i}": (intent, prio) for i, (_t, intent, prio) in enumerate(texts)}
    ws_config = WorkspaceConfig(rate_limit=RateLimit(enabled=True, per_second=args.speedup, burst=4))
    settings = bench_settings(args, args.database_url, tmp, ws_config, args.join)
    app = create_app(settings, engine=engine, brain=make_brain(labels), publisher_for=lambda _b, _p: None)  # type: ignore[arg-type,return-value]
    with serve_in_thread(app, port=free_port()):
        sender = app.state.context.sender
        sender.stop()
        deadline = time.monotonic() + args.timeout
        while queued_reviews(engine) < len(texts) and time.monotonic() < deadline:
            time.sleep(1.0)
        sender.start()
        while shown_comments(engine) < len(texts) and time.monotonic() < deadline:
            time.sleep(0.5)
        print(f"process #2 sent {sender.sent} messages ({sender.rate_limited} 429s)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=10_000)
    parser.add_argument("--speedup", type=float, default=20.0)
    parser.add_argument("--threshold", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--processes", type=int, default=1, help="processes sharing the work (PostgreSQL)")
    parser.add_argument("--join", default=None, help=argparse.SUPPRESS)  # internal: the workspace URL to join
    args = parser.parse_args()
    if args.join:
        join(args)
        return
    if args.processes > 1 and not (args.database_url or "").startswith("postgresql"):
        parser.error("--processes > 1 needs --database-url postgresql+psycopg://… (processes share it)")

    tmp = tempfile.mkdtemp(prefix="sowana-storm-")
    url = args.database_url or f"sqlite:///{tmp}/storm.db"
    upgrade(url)
    engine = make_engine(url)
    texts = storm_texts(args.comments)
    labels = {f"storm-{i}": (intent, prio) for i, (_t, intent, prio) in enumerate(texts)}
    port = free_port()
    ws_config = WorkspaceConfig(
        request_url=f"http://127.0.0.1:{port}/slack/events",
        rate_limit=RateLimit(enabled=True, per_second=args.speedup, burst=4),
    )
    with run_workspace(ws_config) as ws_url, WorkspaceClient(ws_url) as ws:
        settings = bench_settings(args, url, tmp, ws_config, ws_url)
        # The storm arrives (stored), the worker triages and drafts it; Slack is the bottleneck we
        # measure, so the sender is held back until the whole backlog waits, then drains it.
        t0 = time.monotonic()
        for i, (text, _intent, _prio) in enumerate(texts):
            ingest(
                engine,
                CommentIn.model_validate(
                    {
                        "platform": "facebook",
                        "external_id": f"storm-{i}",
                        "author": {"id": f"a{i}", "name": f"Fan {i}"},
                        "text": text,
                    }
                ),
            )
        print(f"stored {len(texts)} comments in {time.monotonic() - t0:.1f} s", flush=True)
        others = [
            subprocess.Popen(
                [sys.executable, __file__, "--join", ws_url, "--database-url", url]
                + ["--comments", str(args.comments), "--speedup", str(args.speedup)]
                + ["--threshold", str(args.threshold), "--timeout", str(args.timeout)]
            )
            for _ in range(args.processes - 1)
        ]
        app = create_app(settings, engine=engine, brain=make_brain(labels), publisher_for=lambda _b, _p: None)  # type: ignore[arg-type,return-value]
        with serve_in_thread(app, port=port):
            sender = app.state.context.sender
            sender.stop()
            t0 = time.monotonic()
            while time.monotonic() - t0 < args.timeout and queued_reviews(engine) < len(texts):
                time.sleep(1.0)
            print(f"triaged, drafted and queued in {time.monotonic() - t0:.1f} s", flush=True)
            start = time.monotonic()
            sender.start()
            posted = 0
            last = 0.0
            while time.monotonic() - start < args.timeout:
                posted = shown_comments(engine)  # urgent ones may be escalated since
                if posted >= len(texts):
                    break
                if time.monotonic() - last > 10:
                    last = time.monotonic()
                    print(f"  {time.monotonic() - start:6.0f} s: {posted} posted, {sender.sent} messages", flush=True)
                time.sleep(0.2)
            wall = time.monotonic() - start
            for other in others:
                other.wait(60)
        messages = ws.messages(REVIEW)
    with session_scope(engine) as s:
        shown = s.exec(select(SlackPost.kind, func.count()).group_by(col(SlackPost.kind))).all()
        per_comment = s.exec(select(func.count(func.distinct(SlackPost.comment_id)))).one()
        states = s.exec(select(Comment.state, func.count()).group_by(col(Comment.state))).all()
        failed_jobs = s.exec(
            select(func.count()).select_from(SlackOutgoing).where(col(SlackOutgoing.status) == "failed")
        ).one()
        stuck = s.exec(
            select(col(Comment.id), col(Comment.state), col(SlackOutgoing.status), col(SlackOutgoing.group_id))
            .join(SlackOutgoing, col(SlackOutgoing.comment_id) == col(Comment.id), isouter=True)
            .where(col(Comment.state) != "posted")
            .limit(10)
        ).all()
    if stuck:
        print(f"in another state than posted (first 10): {stuck}")
    review_msgs = [m for m in messages if "cas #" in str(m.get("blocks"))]
    summaries = [m for m in messages if "Storm mode —" in m.get("text", "")]
    lost = len(texts) - posted
    # At 1 message/s Slack paces the messages; the database work (recording ~10k members) runs beside it and
    # does not slow down with Slack, so wall × speedup overstates it: both figures are printed.
    paced = len(messages) / 1.0
    print()
    print(f"processes                {args.processes} (this one sent {sender.sent} messages)")
    print(f"comments                 {len(texts)}")
    print(f"states                   {dict(states)}")
    print(f"slack posts by kind      {dict(shown)} ({per_comment} distinct comments)")
    notices = len(messages) - len(review_msgs) - len(summaries)
    print(
        f"slack messages           {len(messages)} (own review messages {len(review_msgs)}, "
        f"storm summaries {len(summaries)}, notices {notices})"
    )
    print(f"429s answered by Slack   {sender.rate_limited}")
    print(f"lost                     {lost} (failed sends {failed_jobs})")
    print(f"wall time                {wall:.1f} s at {args.speedup:g}x Slack's pace")
    print(f"slack-limited time       {max(paced, wall) / 60:.1f} min = max(messages at 1/s, wall) (target < 15 min)")
    print(f"upper bound              {wall * args.speedup / 60:.1f} min = wall × speedup (database time scaled too)")


if __name__ == "__main__":
    main()
