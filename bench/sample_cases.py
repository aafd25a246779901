"""Comments written for the shipped sample brand (knowledge/samples/panier_boreal), never the dev set.

bench/fit_retrieval.py uses them as one more training set, next to bench/retrieval_train/: the
sample brand is what `make dev` serves, so its thresholds must hold there too.
"""

from __future__ import annotations

from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "knowledge/samples/panier_boreal"

# (comment, ids that answer it); an empty tuple means the FAQ has nothing on it.
CASES: list[tuple[str, tuple[str, ...]]] = [
    ("Allo! Vous allez jusqu'à Gatineau?", ("livraison-zones", "delivery-zones")),
    ("do you guys deliver in Lévis", ("delivery-zones", "livraison-zones")),
    ("Le camion passe vers quelle heure en général?", ("livraison-jours", "delivery-days")),
    ("Any weekend deliveries?", ("delivery-days", "livraison-jours")),
    ("Je travaille de jour, vous laissez ça où la boîte?", ("absence",)),
    ("What happens if nobody's home when the driver comes?", ("absence",)),
    ("Je pars 3 semaines en Gaspésie, je fais quoi avec mes paniers?", ("pause", "pause-en")),
    ("Going on vacation for two weeks, can I stop deliveries?", ("pause-en", "pause")),
    ("Je veux arrêter pour de bon, c'est compliqué?", ("resiliation", "cancel-en")),
    ("How do I end my subscription?", ("cancel-en", "resiliation")),
    ("C'est combien pour une famille de 4?", ("tarifs", "prices-en")),
    ("what's the price of the small box", ("prices-en", "tarifs")),
    ("J'haïs les navets, je peux les enlever?", ("substitutions", "substitutions-en")),
    ("Can I choose what's in my box?", ("substitutions-en", "substitutions")),
    ("Mon fils est allergique aux arachides, c'est risqué?", ("allergies", "allergies-en")),
    ("Is it nut-free? My daughter has a peanut allergy", ("allergies-en", "allergies")),
    ("C'est-tu vraiment bio vos affaires?", ("bio", "organic-en")),
    ("Are the veggies organic?", ("organic-en", "bio")),
    ("Je peux payer avec Interac?", ("paiement", "payment-en")),
    ("When is my card charged?", ("payment-en", "paiement")),
    ("Mes tomates sont arrivées écrasées, vous remboursez?", ("remboursement", "refunds-en")),
    ("Half my lettuce was rotten, can I get my money back?", ("refunds-en", "remboursement")),
    ("J'ai une pile de boîtes vides dans mon garage 😅", ("boites-consignees", "returnable-boxes")),
    ("What do I do with the cardboard boxes?", ("returnable-boxes", "boites-consignees")),
    ("Idée cadeau pour ma mère?", ("cartes-cadeaux", "gift-cards")),
    ("Do you have gift certificates?", ("gift-cards", "cartes-cadeaux")),
    ("Des idées pour cuisiner le céleri-rave?", ("recettes",)),
    ("Any recipe ideas for all these squash?", ("recettes", "viral-zucchini-mountain")),
    ("Vous livrez à Trois-Rivières le mardi?", ("livraison-zones", "livraison-jours", "delivery-zones")),
    ("Do you deliver in Longueuil on Fridays?", ("delivery-zones", "delivery-days", "livraison-zones")),
    # Nothing in the FAQ answers these.
    ("Vous avez vu le match des Canadiens hier?", ()),
    ("Who's your favourite Beatle?", ()),
    ("Quelle est la capitale de l'Australie?", ()),
    ("Can you recommend a good dentist in Laval?", ()),
    ("Est-ce que vous vendez des voitures usagées?", ()),
    ("Is it going to rain tomorrow?", ()),
    ("Mon voisin fait trop de bruit le soir", ()),
    ("What's the wifi password at your office?", ()),
    ("Vous avez des postes de comptable?", ()),
    ("Do you ship to Europe?", ()),
    ("Bonne fête des mères à toute l'équipe!", ()),
    ("lol", ()),
    ("🔥🔥🔥", ()),
    ("Pouvez-vous réparer mon vélo?", ()),
    ("I love you guys", ()),
    ("Vous faites du poisson frais?", ()),
]

# Written later, in the same way.
CASES += [
    ("Est-ce que vous livrez à Brossard?", ("livraison-zones", "delivery-zones")),
    ("Moving to Sherbrooke next month, will you still deliver to me?", ("delivery-zones", "livraison-zones")),
    ("C'est quoi votre zone de livraison exactement?", ("livraison-zones", "delivery-zones")),
    ("Vous livrez le samedi?", ("livraison-jours", "delivery-days")),
    ("What time does the delivery usually arrive?", ("delivery-days", "livraison-jours")),
    ("Le livreur peut laisser le panier chez ma voisine?", ("absence",)),
    ("I'm at work all day, will the veggies be ok sitting outside?", ("absence",)),
    ("On déménage en juillet, je peux suspendre quelques semaines?", ("pause", "pause-en")),
    ("Can I skip next week? Too many leftovers lol", ("pause-en", "pause")),
    ("Y a-tu des frais si je me désabonne?", ("resiliation", "cancel-en")),
    ("Is there a minimum commitment or can I quit anytime?", ("cancel-en", "resiliation")),
    ("Le panier solo, c'est combien par semaine?", ("tarifs", "prices-en")),
    ("Is delivery free or do you charge extra?", ("prices-en", "tarifs")),
    ("How much for the family box?", ("prices-en", "tarifs")),
    ("Ma blonde déteste les betteraves, on peut les retirer du panier?", ("substitutions", "substitutions-en")),
    ("Can I never get kale again please 🙏", ("substitutions-en", "substitutions", "viral-chou-kale")),
    ("Ma fille est cœliaque, y a-t-il du gluten dans vos paniers?", ("allergies", "allergies-en")),
    ("Any risk of cross contamination with tree nuts?", ("allergies-en", "allergies")),
    ("Vos carottes sont certifiées Ecocert?", ("bio", "organic-en")),
    ("Do you use pesticides on your vegetables?", ("organic-en", "bio")),
    ("Vous prenez le comptant à la livraison?", ("paiement", "payment-en")),
    ("Can I pay with Amex?", ("payment-en", "paiement")),
    ("Quand est-ce que ma carte est débitée?", ("paiement", "payment-en")),
    ("Il manquait les pommes dans ma boîte cette semaine", ("remboursement", "refunds-en")),
    ("My eggs arrived broken, what do I do?", ("refunds-en", "remboursement")),
    ("Les blocs réfrigérants, je les jette ou vous les reprenez?", ("boites-consignees", "returnable-boxes")),
    ("Do you reuse the boxes or are they recycled?", ("returnable-boxes", "boites-consignees")),
    ("Je veux offrir un abonnement à ma sœur pour Noël", ("cartes-cadeaux", "gift-cards")),
    ("Do your gift cards expire?", ("gift-cards", "cartes-cadeaux")),
    ("Qu'est-ce que je fais avec du chou-rave? Aucune idée 😂", ("recettes",)),
    ("Too much zucchini again, help me use it up", ("viral-zucchini-mountain", "recettes")),
    (
        "Mon chat dort dans la boîte depuis lundi, je dois vraiment la rendre?",
        ("viral-boite-chat", "boites-consignees"),
    ),
    # Nothing in the FAQ answers these.
    ("Vous engagez des livreurs cet été?", ()),
    ("What's your opinion on the election?", ()),
    ("Quelqu'un a un bon plombier à Longueuil?", ()),
    ("Do you sell meat or fish?", ()),
    ("Est-ce que vous avez une application mobile?", ()),
    ("My neighbour's dog keeps barking", ()),
    ("Joyeux Noël à tous!", ()),
    ("Can I visit the farm?", ()),
    ("Combien de calories dans une carotte?", ()),
    ("Which football team do you support?", ()),
]
