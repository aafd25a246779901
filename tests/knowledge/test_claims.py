from __future__ import annotations

import pytest

from knowledge.claims import MAX_CLAIMS, clean_text, split_claims


def test_handles_links_hashtags_emoji_and_elongations_are_cleaned() -> None:
    text = "@QuickParcel @QuickParcel_Help soooo slowww 😡😡 #NeverAgain https://example.org/x?y=1"
    assert clean_text(text) == "so slow NeverAgain"


@pytest.mark.parametrize(
    ("comment", "claims"),
    [
        (
            "Third time the parcel says delivered and nothing on my doorstep. And also the refund never came!!!",
            ["Third time the parcel says delivered and nothing on my doorstep.", "the refund never came!"],
        ),
        (
            "@Livrexpress Colis en retard de 10 jours et en plus le carton est arrivé déchiré 😤",
            ["Colis en retard de 10 jours", "le carton est arrivé déchiré"],
        ),
        ("Je n'ai plus d'eau chaude depuis lundi", ["Je n'ai plus d'eau chaude depuis lundi"]),
    ],
)
def test_a_comment_is_split_into_its_grievances(comment: str, claims: list[str]) -> None:
    assert split_claims(comment) == claims


def test_short_pieces_join_their_neighbour() -> None:
    assert split_claims("Honestly. The app logs me out every day; merci !") == [
        "Honestly. The app logs me out every day merci !"
    ]


def test_a_comment_without_words_has_no_claim_and_a_rant_is_capped() -> None:
    assert split_claims("😡😡 https://example.org") == []
    rant = " ".join(f"Problem number {i} is still not fixed." for i in range(12))
    claims = split_claims(rant)
    assert len(claims) == MAX_CLAIMS and claims[-1].endswith("number 11 is still not fixed.")
