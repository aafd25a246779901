"""Customer-service concepts, French and English, for the keyword score.

People rarely use the FAQ's words: "mes tomates sont arrivées écrasées" asks the entry "J'ai reçu
des produits abîmés", "wanna stop my plan" asks "Comment résilier". Words of one concept get a
shared tag (`~damaged`) in both the comment and the entries, so BM25 sees the match, in either
language. The groups are generic (any shop, carrier, bank, airline, utility…), never a brand's:
a term listed here must mean that concept in nearly every brand's comments.

Spelling: `word*` matches any word starting with `word`; other items match whole words or phrases.
Everything is matched accent-free and lower case (`retrieval.fold`).
"""

from __future__ import annotations

import re
from functools import lru_cache

GROUPS: dict[str, str] = {
    "damaged": "abim*, endommag*, ecrase, ecrasee*, ecrases, brise, brisee*, brises, bris, casse, cassee*, casses, "
    "defectu*, damag*, broken, broke, crush*, smash*, pourri, pourrie, pourris, pourries, moisi*, rotten, "
    "mould*, mouldy, moldy, spoiled, fele, felee, cracked, dechire*, torn, abime*",
    "missing": "manqu*, oubli*, missing, forgot*, incomplet*, incomplete",
    "cancel": "annul*, resili*, arret*, desabonn*, desinscri*, desactiv*, cancel*, unsubscrib*, stop, stopper, "
    "stopped, terminate, quit, quitter, fermer mon compte, close my account, mettre fin",
    "pause": "pause*, suspend*, suspension, vacance*, vacation*, holiday*, conge, conges",
    "refund": "rembours*, refund*, money back, mon argent, my money, dedommag*, compens*, reimburs*",
    "delivery": "livraison*, livrer, livre, livres, livree*, livrez, livrons, livrent, livreur*, deliver*, expedi*, "
    "envoi, envoy*, shipping, shipped, ship, shipment*, colis, parcel*, package*, courier*, transporteur*",
    "late": "retard*, late, delay*, attend, attends, attendre, attendu, attente, waiting, wait, lent, lente, lents, "
    "lentement, slow*, toujours pas, still not, jamais recu, never arrived, never came, never got",
    "price": "prix, cout, couts, coute, coutent, couter, tarif*, cher, chere, chers, combien, price*, pricing, cost, "
    "costs, fee, fees, des frais, frais de, sans frais, expensive, cheap*, how much",
    "payment": "paie, paiement*, payer, paye, payee, payez, pay, paid, paying, payment*, factur*, bill, billed, "
    "billing, bills, charge, charged, charges, prelev*, debit*, interac, paypal, carte de credit, credit card",
    "account": "compte, comptes, connexion, connecter, login, log in, sign in, signin, mot de passe, password*, "
    "identifiant*, username, account*",
    "address": "adresse*, demenag*, address*, moved, moving",
    "hours": "heure, heures, horaire*, ouvert*, ouvrez, ouvrir, ouverture*, fermez, fermeture*, hours, open, opens, "
    "opening, close, closes, closing, schedule*",
    "change": "modifi*, chang*, remplac*, substitu*, swap*, choisir, choix, choose, choice*, customi*, "
    "personnalis*, edit, update*, ajust*, adjust*",
    "allergy": "allerg*, arachide*, peanut*, noix, nut, nuts, gluten, lactose, celiac*, coeliaqu*, vegan*, "
    "vegetalien*, vegetarien*, vegetarian*",
    "gift": "cadeau*, gift*",
    "contact": "joindre, rejoindre, contact*, appel, appels, appeler, appele, appelle*, call, calls, called, calling, "
    "telephon*, phone*, courriel*, email*, e-mail, clavardage, live chat, agent*, reach, support, "
    "service client*, service a la clientele, customer service",
    "outage": "panne, pannes, coupure*, outage*, reseau*, network*, wifi, signal, signaux, deconnect*, disconnect*",
    "baggage": "bagage*, valise*, luggage*, baggage*, suitcase*",
    "flight": "vol, vols, flight*, avion*, plane, planes, embarqu*, boarding, escale*, layover*, correspondance*",
    "booking": "reserv*, book, booked, booking*",
    "fraud": "fraud*, arnaqu*, scam*, phishing, hameconn*, pirat*, hack*, suspect*, suspicious",
    "lost": "perdu*, perte, vole, volee*, voles, lost, stolen, theft",
    "order": "commande*, commander, order*, achat*, purchase*, acheter, achete*, bought, buy",
    "return": "retourn*, return*, echang*, exchang*, renvoy*",
    "size": "taille*, size*, sizing, pointure*, trop petit*, trop grand*, too small, too big",
    "job": "emploi*, job, jobs, embauch*, hiring, hire, career*, carriere*, postuler, cv, internship*",
    "packaging": "emballage*, packaging, recycl*, boite*, box, boxes, carton*, consign*, plastique*, plastic*",
    "subscription": "abonnement*, abonne, abonnee*, abonnes, subscri*, forfait*, membership*, adhesion*",
    "promo": "promo*, rabais, code promo, promo code, coupon*, discount*, reduction*",
    "app": "appli, applis, app, apps, application*, mise a jour, bug*, bogue*, crash*, plante, error*, erreur*, "
    "fonctionne pas, marche pas, not working, doesn't work, does not work",
    "accessibility": "accessib*, fauteuil roulant, wheelchair*, mobilite reduite, handicap*, disabilit*",
    "environment": "ecolo*, environnement*, durable*, sustainab*, carbone, carbon, compost*, eco",
    "loyalty": "fidelite, points, loyalty, reward*, recompense*",
    "privacy": "donnees personnelles, personal data, privacy, confidentialite, vie privee",
    "student": "etudiant*, student*",
    "children": "enfant*, kid, kids, child, children, bebe*, baby, babies",
    "safety": "securite, safety, securitaire, safe, dangereu*, danger*",
}
# Rewritten before matching: "casse-croûte" is a snack bar in Québec, not something broken.
_REWRITES = ((re.compile(r"\bcasse[\s-]*croute"), "cassecroute"),)
_WORD = re.compile(r"[a-z0-9]+")


def _items(spec: str) -> list[str]:
    return [item.strip() for item in spec.split(",") if item.strip()]


def _is_word(item: str) -> bool:
    return bool(_WORD.fullmatch(item.rstrip("*")))


def _item_pattern(item: str) -> str:
    body = r"\s+".join(re.escape(part) for part in item.rstrip("*").split())
    return body + (r"\w*" if item.endswith("*") else r"\b")


@lru_cache(maxsize=1)
def _matchers() -> tuple[tuple[tuple[str, re.Pattern[str]], ...], tuple[tuple[str, re.Pattern[str]], ...]]:
    """Per concept: a pattern for its single words (matched word by word, with a cache) and one for
    its phrases (matched in the text)."""
    words, phrases = [], []
    for name, spec in GROUPS.items():
        single = [_item_pattern(i) for i in _items(spec) if _is_word(i)]
        multi = [r"\b" + _item_pattern(i) for i in _items(spec) if not _is_word(i)]
        if single:
            words.append((name, re.compile("(?:" + "|".join(single) + r")\Z")))
        if multi:
            phrases.append((name, re.compile("|".join(multi))))
    return tuple(words), tuple(phrases)


@lru_cache(maxsize=65536)
def _word_concepts(word: str) -> tuple[str, ...]:
    return tuple(f"~{name}" for name, pattern in _matchers()[0] if pattern.match(word))


def concept_tags(folded: str) -> list[str]:
    """One `~concept` tag per matching word or phrase of an accent-free, lower-case text."""
    for pattern, replacement in _REWRITES:
        folded = pattern.sub(replacement, folded)
    tags = [tag for word in _WORD.findall(folded) for tag in _word_concepts(word)]
    for name, pattern in _matchers()[1]:
        tags.extend([f"~{name}"] * len(pattern.findall(folded)))
    return tags
