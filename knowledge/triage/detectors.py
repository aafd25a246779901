"""Deterministic detectors: the places where a rule is right and a classifier is not needed.

Every function is pure (text in, facts out) so each rule can be tested and explained alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_F = re.IGNORECASE | re.UNICODE

# --- personal data -------------------------------------------------------------------------------

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# North American numbers: (514) 555-0142, 514-555-0142, +1 438 555 0199, 5145550142.
_PHONE_NA = re.compile(r"(?<![\d#])(?:\+?1[\s.-]?)?\(?[2-9]\d{2}\)?[\s.-]?[2-9]\d{2}[\s.-]?\d{4}(?![\d])")
# French numbers: 06 12 34 56 78, 06.12.34.56.78, +33 6 12 34 56 78, 0612345678 (one separator throughout: a run
# of dates such as 12.01.24-17.01.24 is not a phone).
_PHONE_FR = re.compile(r"(?<![\d#])(?:\+33[\s.]?(?:\(0\))?|0)[1-9]([\s.-]?)\d{2}(?:\1\d{2}){3}(?!\d)")
# Other international numbers written with a leading + and at least 8 digits.
_PHONE_INTL = re.compile(r"(?<![\w+])\+\d{2,3}(?:[\s.-]?\d{2,4}){3,5}(?!\d)")
_CARD = re.compile(r"(?<![\d])\d(?:[ -]?\d){12,18}(?!\d)")
# Words that make a long number someone's card even when a digit is off (one slip from the real one
# is still exposed): "ma carte c'est 4519 …", "Card 4532 …", "gift card number …".
_CARD_CONTEXT = re.compile(r"(carte|card|visa|mastercard|master card|amex|cr[ée]dit|d[ée]bit|cc)\b[^\d\n]{0,25}$", _F)
# A PIN (or the Québec NIP) written next to its number.
_PIN = re.compile(r"\b(?:pin|nip|code secret|cvv|cvc)\s*:?\s*\d{3,6}\b", _F)
# The words that make a long number an order / invoice / tracking reference, not a phone.
_REFERENCE_CONTEXT = re.compile(
    r"(commande|order|facture|invoice|suivi|tracking|confirmation|r[ée]f[ée]rence|\bref\b|dossier|"
    r"r[ée]servation|booking|colis|parcel|n[o°º]\.?|#)(?:\s+(?:number|num[ée]ro|no\.?|n°))?\W{0,3}$",
    _F,
)
_ADDRESS_FR = re.compile(
    r"\b\d{1,5}(?:\s?(?:bis|ter|[a-c]))?,?\s+(?:rue|avenue|av\.|boulevard|boul\.?|bd|chemin|ch\.|rang|route|"
    r"place|all[ée]e|impasse|cours|quai|mont[ée]e|c[ôo]te)\s+[\w'’-]+",
    _F,
)
_ADDRESS_EN = re.compile(
    r"\b\d{1,5}\s+(?:[A-Z][\w'-]+\s+){1,3}(?:Street|St\.?|Avenue|Ave\.?|Road|Rd\.?|Drive|Dr\.?|Lane|Ln\.?|"
    r"Terrace|Boulevard|Blvd\.?|Crescent|Court|Ct\.?|Way|Place|Pl\.?)(?!\w)"
)


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies (and most random numbers do not)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _is_reference(text: str, start: int) -> bool:
    return bool(_REFERENCE_CONTEXT.search(text[max(0, start - 30) : start]))


# A brand's line quoted back ("25 minutes d'attente sur le 09 69 …", "getting calls from 1-555-…") is not the
# writer's data (CONVENTIONS.md, moderation); "appelez-moi au …", "call me at …" still are.
_HOTLINE_CONTEXT = re.compile(
    r"(poireaut\w*|attente|hotline|service client\w*|standard|calls? from|called|calling|dial\w*|on hold|hung up|"
    r"(appel\w*|compos\w*|joindre) (le|au)\s*$)",
    _F,
)
_OWN_NUMBER_CONTEXT = re.compile(r"\b(moi|me|my|mon|ma|mes|joignable|reach me|contact me|text me)\b", _F)


def _is_hotline(text: str, start: int) -> bool:
    before = text[max(0, start - 50) : start]
    return bool(_HOTLINE_CONTEXT.search(before)) and not _OWN_NUMBER_CONTEXT.search(before)


def find_personal_data(text: str) -> list[str]:
    """Kinds of personal data exposed in `text`: "email", "phone", "card", "address" (sorted, unique).

    A long number is a card when it passes the Luhn checksum, or when the words before it call it one.
    """
    kinds: set[str] = set()
    if _EMAIL.search(text):
        kinds.add("email")
    scrubbed = _EMAIL.sub(" ", text)
    for match in _CARD.finditer(scrubbed):
        digits = re.sub(r"\D", "", match.group())
        named = bool(_CARD_CONTEXT.search(scrubbed[max(0, match.start() - 40) : match.start()]))
        if 13 <= len(digits) <= 19 and (luhn_ok(digits) or named) and not _is_reference(scrubbed, match.start()):
            kinds.add("card")
            scrubbed = scrubbed.replace(match.group(), " ")
    for pattern in (_PHONE_NA, _PHONE_FR, _PHONE_INTL):
        for match in pattern.finditer(scrubbed):
            if not _is_reference(scrubbed, match.start()) and not _is_hotline(scrubbed, match.start()):
                kinds.add("phone")
    if _ADDRESS_FR.search(scrubbed) or _ADDRESS_EN.search(scrubbed):
        kinds.add("address")
    if _PIN.search(scrubbed):
        kinds.add("card")  # a PIN is only ever exposed with a card's number
    return sorted(kinds)


# --- spam ----------------------------------------------------------------------------------------

_LINK = re.compile(
    r"(https?://\S+|\bwww\.\S+|\b(?:bit\.ly|tinyurl\.com|t\.co|goo\.gl)/\S*|"
    r"\b[\w-]{2,}\.(?:com|net|org|shop|store|biz|win|xyz|info|io|co|me|ly|club|online|site|top|fr|ca)\b(?:/\S*)?)",
    _F,
)
_LURE = re.compile(
    r"(cliquez ici|click here|lien (en|dans la) bio|link in bio|code (promo|parrain)|promo code|"
    r"referral code|use (my )?code|utilise[zr]? (le |mon )?code|[ée]cri(vez|s)[- ]moi en priv[ée]|"
    r"message me|(envoie|envoyez|[ée]cri(s|vez))[- ]moi (un |en )?(message|mp|dm|priv[ée])|"
    r"whatsapp\W{0,3}(me\b|moi\b|\+|\d)|crypto|bitcoin|trading|followers|abonn[ée]s gratuits|gagne[zr]? \d|"
    r"\bearn \$?\d|\$\d+ a day|par jour depuis|work from home|travail (à|a) domicile|"
    # "garantie" alone is a warranty, customers' word: only gains promised as sure are a lure
    r"guaranteed (income|profits?|returns?|results|money|payouts?)|(gains?|revenus?|profits?|r[ée]sultats?|"
    r"rendements?|b[ée]n[ée]fices?) garantis?|"
    r"check (out )?my (profile|page|store)|regardez mon profil|allez voir ma (boutique|page)|giveaway|"
    r"free gift|(win|gagne\w*|free|gratuit|offert) (an |un |ton |your )?iphone|sans v[ée]rification|"
    r"no credit check|marabout|spell|hot singles|seo services|"
    r"\d{2}\s?% (off|de rabais|sur tout)|-\d{2}\s?%|"
    # crypto and "fund recovery" scams, follow-for-follow giveaways, adult and resale offers
    r"recovery (services?|experts?|agents?|guidance)|recover (your |my |the )?(lost )?(funds|assets|crypto|money|"
    r"account)|lost (your |my )?(funds|assets|money|crypto)|airdrops?|\bwallets? (address|connect)|drop your \S*\s?"
    r"wallet|t\.me/|telegram|\bnfts?\b|free mint|\bwhitelist|\bwl\b|signals? group|\bforex\b|binary options|"
    r"passive income|revenus? passifs?|investment (platform|opportunit)|made \$\s?\d|\$\d+k\b|\bdm (me )?for\b|"
    r"inbox me|follow (me|@\w+) (\+|&|and)|like (&|and|\+) (rt|retweet)|tag \d+ (friends|people|amis)|"
    r"sugar (daddy|mommy|baby)|onlyfans|nudes?\b|\bsexy\b|\b18\+|cashback|bon plan|"
    r"places? ((sont |est )?disponibles?|(à|a) vendre)|je (vends|revends)|for sale\b|"
    r"(earn|earning|made|make|gagn[ée]\w*) (over |plus de )?\$?\s?\d[\d,.]*k?\s?"
    r"\$?\s?(per|a|each|par) (month|week|day|mois|semaine|jour)|returns? (of|from) (my )?\$|initial investment|"
    r"private key|subscribe to (me|my channel)|abonne[zr]?(-vous)? (à|a) ma cha[îi]ne|"
    # testimonial scams: an "expert" thanked for trading gains, token shilling, healers who bring a partner back
    r"\bbtc\b|\bhodl\w*|\w+coin\b|\w+token\b|account (growth|manager)|(thanks|thank you|grateful|kudos|credit) "
    r"(goes )?(to )?(mr|mrs|ms|miss|expert|dr)\.? [A-Z]|would love to connect|let'?s connect|"
    r"ma[iî]tre spirituel|m[ée]dium|voyante?\b|retour (de l'?[êe]tre aim[ée]|affectif))",
    _F,
)


def find_links(text: str) -> list[str]:
    return [m.group() for m in _LINK.finditer(_EMAIL.sub(" ", text))]


def has_lure(text: str) -> bool:
    return bool(_LURE.search(text))


# --- distress, safety, legal, minors, injection, hate, insults -----------------------------------

_DISTRESS = re.compile(
    r"(suicid|me suicider|(je vais|je veux|envie de|pens\w* (à|a)) me tuer|en finir\b|"
    r"mettre fin (à|a) (mes jours|ma vie)|"
    r"(veux|envie de|aimerais) mourir|me faire du mal|me scarifi|plus (de|aucune) raisons? de vivre|"
    r"(pu|plus) la force de continuer|j'?aimerais (juste )?dispara[iî]tre|plus [eê]tre l[àa]\b|"
    r"kill(ing)? myself|\bkms\b|end(ing)? it all|thinking about ending it|want(ed)? to die|wanna die|"
    r"hurt(ing)? myself|self[- ]?harm|cutting (myself|again)|no reason to live|"
    r"strength to keep going|want to disappear|if i wasn'?t here|this is goodbye|adieu tout le monde)",
    _F,
)
# Hardship that is not an emergency but makes a joke cruel.
_HARDSHIP = re.compile(
    r"(d[ée]c[ée]d[ée]|d[ée]c[èe]s|passed away|\bdied\b|funeral|fun[ée]railles|perdu mon (emploi|job|travail)|"
    r"lost my job|expuls[ée]|evicted|cancer|chimio|chemo|\bdeuil\b|grief|violent|abusive|incendie|fire\b|"
    r"can'?t afford|arrive plus (à|a) payer|sans[- ]abri|homeless)",
    _F,
)
# A vulnerable person (a baby, an elderly or sick relative, a disability, a medical device) left without
# an essential (heating, hot water, power, food) or caught in an emergency: the situation comes before the
# brand's business (bench/real/CONVENTIONS.md, distress). General vocabulary, both languages.
_VULNERABLE = re.compile(
    r"(\bb[ée]b[ée]s?\b|nourrissons?|nouveau-n[ée]|enfants? en bas [âa]ge|\b\d+ enfants?\b|"
    r"(mon|ma|mes) (fils|fille|enfants?) de \d|"
    r"(m[èe]re|p[èe]re|parents|grand-(m[èe]re|p[èe]re)|voisine?) de (\d{2}|plus de \d{2}) ans|"
    r"(ont|a) (plus de )?[6-9]\d ans|[6-9]\d ans\b|personnes? [âa]g[ée]es|handicap[ée]?|invalide|enceinte|"
    r"insuffisan\w* respiratoire|sous oxyg[èe]ne|dialys|chimio|malades?\b|"
    r"\bbab(y|ies)\b|newborn|infant|toddler|\d+ ?(yr|year|month)s?[- ]old|elderly|disabled|wheelchair|pregnant|"
    r"oxygen|\bsick\b|cancer|funeral|bereavement|\bcoma\b|surgery|(family|medical) emergency|dying)",
    _F,
)
# A funeral, a coma, surgery or a family emergency stand in both lists: each is the situation on its own.
_DEPRIVED = re.compile(
    r"(sans (chauffage|eau chaude|[ée]lectricit[ée]|gaz|courant|lumi[èe]re|eau)|plus (de|d'|d’)\s?(chauffage|"
    r"eau chaude|[ée]lectricit[ée]|gaz|courant)|coup[ée]e?s? (le|l'|l’|mon|ma|notre)?\s?(gaz|[ée]lectricit[ée]|"
    r"courant|chauffage)|couper (le|l'|l’) ?(gaz|[ée]lectricit[ée])|\b\d{1,2} ?(°c?|degr[ée]s)|"
    r"\bfroid\b|frigo (est )?vide|"
    r"no (heat|heating|power|electricity|hot water|food)|without (heat|heating|power|electricity|hot water|food)|"
    r"freezing|stranded|funeral|(family|medical) emergency|hospital|h[ôo]pital|coma|surgery|sobbing|"
    r"(need|needs|must|have) to get home|can'?t afford|arrive pas|n'?y arrive (pas|plus)|survivre)",
    _F,
)
_SAFETY = re.compile(
    r"(allergi|anaphyla|epi-?pen|[ée]pip[ée]n|intoxication|food poisoning|empoisonn|poisoning|"
    r"(malades?|sick|vomi\w*) (apr[èe]s|after)|got sick|[ée]t[ée] malades?|h[ôo]pital|hospital|"
    r"(verre|glass|m[ée]tal|metal|plastique dur) (dans|in)|morceau de (verre|m[ée]tal)|piece of (glass|metal)|"
    r"[ée]touff|chok(ed|ing)|br[uû]l(é|e|ure)s? (au|grave)|burned? (my|his|her)|moisissure|\bmold\b|mould)",
    _F,
)
_LEGAL = re.compile(
    r"(avocat|poursui(vre|te|s|vons|vais)|mise en demeure|petites? cr[ée]ances|recours collectif|tribunal|"
    r"protection du consommateur|\bOPC\b|DGCCRF|plainte (officielle|formelle)|"
    r"lawyer|attorney|\bsue\b|\bsuing\b|lawsuit|legal action|small claims|class action|\bcourt\b)",
    _F,
)
_AGE_FR = re.compile(r"\b(?:j'?\s?ai|moi j'?ai)\s*(\d{1,2})\s*ans?\b(?!\s*d['’])", _F)
_AGE_EN = re.compile(
    r"\b(?:i'?m|i am|im)\s*(\d{1,2})\b(?!\s*(?:%|\$|€|:|[.,]\d|mins?\b|minutes?|h\b|hrs?\b|hours?|days?|weeks?|"
    r"months?|years? (?:late|in|into|of|with|as)|sec|seconds?|kms?\b|miles?|kg|lbs?\b|pounds?|times?|th\b|st\b|"
    r"nd\b|rd\b|x\b|/))",
    _F,
)
_GRADE = re.compile(
    r"(secondaire [1-5]\b|\bsec(ondaire)? ?[1-5]\b|en (6|5|4)e\b|au primaire|\b([5-9]th|[5-8]e) (grade|ann[ée]e)\b|"
    r"middle school|junior high|mes parents (veulent|voudront) pas|my (mom|parents) won'?t let me)",
    _F,
)
_INJECTION = re.compile(
    r"(ignor\w*\s+(?:\w+\s+){0,3}(instructions?|consignes?|r[èe]gles|rules|prompts?|guidelines|ce qu'on t'a dit|"
    r"what you were told)|oubli\w*\s+(?:\w+\s+){0,2}(instructions?|r[èe]gles|consignes?|que tu travailles)|"
    r"forget (all |your |the )*(rules|instructions|prompts?)|disregard|system prompt|prompt syst[èe]me|"
    r"\[(system|syst[èe]me)\]|you are now|tu es maintenant|\bact as\b|agis comme|pretend (you|to be)|"
    r"fin des instructions|end of instructions|new (task|instruction)|nouvelle (t[âa]che|consigne)|"
    r"#+\s*instruction|you are dan\b|jailbreak|reveal your|r[ée]v[èe]le (ton|tes)|hidden rules|"
    r"if you'?re a bot|si tu es un (bot|robot))",
    _F,
)
_HATE = re.compile(
    r"(retourne\w* (dans|chez) (ton|votre|vos|leurs?) pays|go back (to|where) (your|they)|send them back|"
    r"bougnoul|sale (race|arabe|noir|n[èe]gre|juif|immigr)|dirty (foreigner|immigrant)|"
    r"(want|veux) (a|un) (white|blanc)|n[i1]gg|f[a@]gg?ot|tapette|p[ée]d[ée]s?\b|"
    r"(juifs|jews) (contr[ôo]l|control)|those people are|ces gens sont (malades|des animaux)|"
    r"back to the kitchen|retourne\w* (à|a) la cuisine|(homos|gays|trans) (comme|like)\b.*(interdit|allowed)|"
    # slurs, French and English, written whole or in their usual spellings (general vocabulary, not corpus text)
    r"\bnoichs?\b|chinetoques?|niakou[ée]s?|\bbicots?\b|\bratons?\b|youpins?|n[ée]gros?\b|bamboulas?|"
    r"gouines?|tarlouzes?|\bfiottes?\b|travelos?|\btrisos?\b|trisomiques?\b|mongoliens?|"
    r"\bchinks?\b|\bspics?\b|wetbacks?|\bkikes?\b|trann(y|ies)|\bdykes?\b|ragheads?|towelheads?|"
    r"rapefugees?|\billegals\b|invaders\b|\bsand ?n)",
    _F,
)
# Insults aimed at someone: the person, the team, other commenters, a group. Swearing for emphasis
# ("this is f***ing ridiculous", "putain 3h de retard", "sacrament que c'est lent") is `_PROFANITY`:
# on real comments it comes with angry customers far more often than with abuse (bench/real labels).
_INSULT = re.compile(
    r"(\bcons?\b|connard|connasse|conne\b|imb[ée]cile|idiots?\b|abruti|cr[ée]tin|minables?|ta gueule|"
    r"va chier|allez chier|fous?-?toi|crisse de (cave|malade|voleur|menteur)|gang de caves|\bcaves\b|\b[ée]pais\b|"
    r"d[ée]chets|parasites|porc\b|salope|pute|\bstfu\b|shut up|morons?|"
    r"stupid (people|idiots?|company|staff|agents?|employees|ass)|you(?:'re| are)? stupid|dumbass|b\*tch|bitch|"
    r"asshole|trash\b|clowns?\b|pathetic|scum|losers?|go to hell|fuck (you|u|off|y'?all|this company)|"
    r"kill yourselves|crevez|crever|(grosse|esp[èe]ce de|vieille|vraie) vache|(fat|stupid|old) cow|"
    # name-calling a group: "bande d'incompétents", "gang de caves", "bunch of clowns" (thieves and crooks: below)
    r"(bande|gang|tas) d(e |')(incomp[ée]tents|nuls|clowns|tar[ée]s|guignols|amateurs|cons|abrutis|incapables)|"
    r"bunch of (clowns|amateurs|idiots|morons)|ugly (people|faces)|"
    # French slang and verlan name-calling; English name-calling beyond the above
    r"attard[ée]e?s?\b|\bmongols?\b|\bfdp\b|fils de (pute|chienne)|encul[ée]e?s?\b|blaireaux?\b|bouffon(ne)?s?\b|"
    r"tocards?\b|\bguignols?\b|b[âa]tards?\b|salauds?\b|\bordures?\b|raclures?|sous-merdes?|"
    r"\btar[ée]e?s\b|\bcassos\b|\bbol?loss?\b|\bteub[ée]s?\b|\bgogols?\b|\bntm\b|nique (ta|sa|vos|votre|leur) "
    r"(m[eè]re|race|p[eè]re)|ferme ta gueule|\btg\b|(sale|esp[èe]ce de|gros|bande de) (chiens?|rats?|porcs?|"
    r"merdes?|larbins?|clowns?|mongols?|attard[ée]s?)|retarded|(you|fucking|such an?|what an?) retards?\b|"
    r"\bcunts?\b|\btwats?\b|dickheads?|"
    r"wankers?|\bpricks?\b|jackass|douche ?(bag|canoe)?s?\b|(you|u|ur|you're a|you are a) piece of shit|"
    r"\bbigots?\b|\bwhores?\b|\bsluts?\b|"
    r"\bskanks?\b|dumb (fuck|bitch|ass)|dipshit)",
    _F,
)
# Name-calling aimed at a person ("you are a coward", "t'es vraiment un débile", "vous êtes des abrutis"):
# the words that describe a person, not a service, so "you are the worst airline" stays a complaint.
_AIMED_INSULT = re.compile(
    r"(\b((you|y'?all|you (all|guys|people|lot))(?:'re| are| r)|u r|ur)"
    r"( (all|so|too|such|really|seriously|actually|just|a fucking|fucking))* "
    r"(an? )?(fool|coward|dumb|stupid|idiot|moron|despicable|disgusting (human|person)|awful (human|person)|"
    r"pathetic (human|person|excuse)|loser|traitor|hypocrite|sick (fuck|puppy)|joke of a (person|human)|cuck)|"
    r"\b(t'?es|tu es|vous [êe]tes|z[êe]tes)( (vraiment|trop|tellement|qu'?une?|qu'?des|des|une?|grave|juste))* "
    r"(cons?|connards?|d[ée]biles?|idiots?|abrutis?|cr[ée]tins?|nuls? (à|a) chier|"
    r"l[âa]ches?|bouffons?|clowns?|teub[ée]s?|mongols?|attard[ée]s?)\b)",
    _F,
)
_PROFANITY = re.compile(
    r"(\bfuck\w*|f\*+\w*|\bsh[i\*]t\w*|\bwtf\b|\bdamn\b|\bcrap\b|\bhell\b|\bmerde\b|\bmarde\b|putain|\bptn\b|"
    r"\bbordel\b|\bcrisse\b|tabarna[kc]|c[âa]lisse|sacrament|ostie|\bchier\b|\bfoutre\b|\bfout\b|\bfait chier\b)",
    _F,
)


def has_distress(text: str) -> bool:
    return bool(_DISTRESS.search(text))


def in_vulnerable_situation(text: str) -> bool:
    return bool(_VULNERABLE.search(text) and _DEPRIVED.search(text))


def has_hardship(text: str) -> bool:
    return bool(_HARDSHIP.search(text))


def has_safety_issue(text: str) -> bool:
    return bool(_SAFETY.search(text))


def has_legal_threat(text: str) -> bool:
    return bool(_LEGAL.search(text))


def mentions_minor(text: str) -> bool:
    """A person saying they are under 18 ("j'ai 12 ans", "I'm 13") or at school."""
    for pattern in (_AGE_FR, _AGE_EN):
        for match in pattern.finditer(text):
            if 5 <= int(match.group(1)) < 18:
                return True
    return bool(_GRADE.search(text))


def has_injection(text: str) -> bool:
    return bool(_INJECTION.search(text))


def has_hate(text: str) -> bool:
    return bool(_HATE.search(text))


# Calling the company thieves, crooks or liars: with a grievance of one's own it is an angry customer's jab, a
# complaint ("impossible de résilier, bande de voleurs !"); alone, it is the insult (CONVENTIONS.md, toxic).
# CV on the training sources: hide precision 0.845 → 0.858, recall 0.698 → 0.703.
_ACCUSATION = re.compile(
    r"(bande|gang|tas) d(e |')(voleurs|menteurs|arnaqueurs|escrocs|rapaces|profiteurs)|"
    r"bunch of (thieves|crooks|liars|scammers)|\b(thieves|crooks|scammers)\b",
    _F,
)


# "Vous nous prenez pour des cons ?" says the brand treats its customers as fools: an angry customer's idiom,
# not name-calling.
_TAKEN_FOR_FOOLS = re.compile(
    r"(prend\w*|pris|prenez) pour (des|un|une) (cons?|connes?|idiots?|imb[ée]ciles?|pigeons?|billes?|truffes?)\b|"
    r"take (us|me|people|customers) for (fools|idiots|mugs)",
    _F,
)


def has_insult(text: str) -> bool:
    text = _TAKEN_FOR_FOOLS.sub(" ", text)
    return bool(_INSULT.search(text) or _AIMED_INSULT.search(text))


def has_profanity(text: str) -> bool:
    return bool(_PROFANITY.search(text))


# --- low literacy --------------------------------------------------------------------------------

# Phonetic spellings of common words (not texting shorthand such as "mdr" or "lol", and not
# Québec or France informal registers such as "chu", "pis", "tsé", which are fluent writing).
_PHONETIC = frozenset(
    [
        "jai",
        "cest",
        "kan",
        "koi",
        "ke",
        "komen",
        "koman",
        "coment",
        "conpri",
        "compri",
        "resu",
        "encor",
        "bocou",
        "bokou",
        "tro",
        "jador",
        "jadore",
        "jatend",
        "jattend",
        "japel",
        "pouri",
        "laiser",
        "dehor",
        "raizon",
        "argen",
        "anulé",
        "anule",
        "abonemen",
        "labonement",
        "comande",
        "persone",
        "persones",
        "magazin",
        "avé",
        "avez-vou",
        "lété",
        "ouvré",
        "vouvré",
        "dan",
        "ya",
        "til",
        "sé",
        "cé",
        "chépa",
        "kelke",
        "kelkun",
        "pk",
        "pkoi",
        "mintenan",
        "tanpi",
        "recieve",
        "recieved",
        "ordr",
        "subscribtion",
        "understnad",
        "organik",
        "veggis",
        "tomorow",
        "wen",
        "roten",
        "trow",
        "outsid",
        "everyting",
        "mony",
        "acount",
        "reson",
        "funy",
        "realy",
        "evrything",
        "becuz",
        "becaus",
        "becuse",
        "wat",
        "definately",
        "alot",
        "sumthing",
        "thier",
        "wich",
        "wierd",
        "untill",
        "beleive",
        "adress",
        "buisness",
        "sed",
        "dont_no",
        "thx_u",
        "pleez",
        "plz",
        "ppl",
        "ur",
        "noe",
        "tho",
        "enuf",
        "nite",
    ]
)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def tokens(text: str) -> list[str]:
    return [t.lower().replace("’", "'") for t in _WORD.findall(text)]


def _respelling(token: str, vocab: frozenset[str]) -> str | None:
    """The known word a dyslexic / low-literacy slip stands for: a doubled letter dropped or two letters swapped."""
    if len(token) < 4 or token in vocab or not vocab:
        return None
    for i in range(len(token)):
        doubled = token[:i] + token[i] + token[i:]  # comande -> commande
        if doubled in vocab:
            return doubled
    for i in range(len(token) - 1):
        swapped = token[:i] + token[i + 1] + token[i] + token[i + 2 :]
        if swapped in vocab:
            return swapped
    return None


@dataclass(frozen=True)
class LiteracySignals:
    phonetic: int
    near_misses: int
    no_punctuation: bool

    @property
    def score(self) -> int:
        return self.phonetic + self.near_misses + (1 if self.no_punctuation else 0)


def _read_spelling(text: str, vocab: frozenset[str]) -> tuple[LiteracySignals, str]:
    """One pass over the words: the spelling signals, and the text with each slip replaced by the word
    it stands for (accents dropped), so the detectors' word lists still see "anulé" as "annule": a
    problem told in shaky spelling is still a problem."""
    words = [strip_accents(t) for t in tokens(text)]
    fixes = [_respelling(w, vocab) for w in words]
    letters = [c for c in text if c.isalpha()]
    no_punct = len(words) >= 8 and not re.search(r"[.,!?;:'’]", text) and not any(c.isupper() for c in letters)
    signals = LiteracySignals(
        phonetic=sum(1 for w in words if w in _PHONETIC),
        near_misses=sum(1 for f in fixes if f is not None),
        no_punctuation=no_punct,
    )
    fixed = " ".join(f or w for w, f in zip(words, fixes, strict=True)) if vocab else text
    return signals, fixed


def literacy_signals(text: str, vocab: frozenset[str] = frozenset()) -> LiteracySignals:
    """Counts of the spelling signals that suggest low literacy or dyslexia (explainable, not a verdict)."""
    return _read_spelling(text, vocab)[0]


def build_vocab(texts: Iterable[str]) -> frozenset[str]:
    return frozenset(strip_accents(t) for text in texts for t in tokens(text))


# --- topics and engagement -----------------------------------------------------------------------

_TOPICS: dict[str, re.Pattern[str]] = {
    "delivery": re.compile(
        r"(livr|livreur|colis|exp[ée]di|d[ée]liv|deliver|shipping|ship\b|package|parcel|tracking|suivi|courier|"
        r"driver|point relais|cueillette|pickup|curbside)",
        _F,
    ),
    "billing": re.compile(
        r"(factur|bill\b|billing|charg|pr[ée]lev|d[ée]bit|frais|fees?\b|paiement|payment|paid|pay[ée]|"
        r"carte de cr[ée]dit|credit card|card\b|carte\b|prix|price|tarif|\$|€)",
        _F,
    ),
    "refund": re.compile(r"(rembours|refund|cr[ée]dit sur|money back|mon argent|my money|the difference)", _F),
    "account": re.compile(
        r"(mon compte|my account|account\b|connect|log ?in|mot de passe|password|abonnement|subscription|"
        r"forfait|plan\b|annul|cancel|pause|suspend)",
        _F,
    ),
    "product_quality": re.compile(
        r"(pourri|rotten|fl[ée]tri|wilted|cass[ée]|broken|ab[îi]m|damaged|qualit|quality|go[ûu]t|taste|ti[èe]de|"
        r"warm\b|moisi|mold)",
        _F,
    ),
    "hours_locations": re.compile(
        r"(heures?|hours|ouvert|open\b|ferm|close|succursale|branch|magasin|store|adresse|where is the)", _F
    ),
    "allergens": re.compile(r"(allerg|arachide|peanut|noix|nut\b|nuts|gluten|s[ée]same|sesame|lactose)", _F),
    "jobs": re.compile(r"(emploi|job\b|engag|hiring|travailler chez|work at your)", _F),
    "travel": re.compile(
        r"(vol\b|flight|bagage|baggage|luggage|valise|suitcase|si[èe]ge|seat|a[ée]roport|airport)", _F
    ),
}
_SAC_HINT = re.compile(
    r"(ma commande|mon colis|my order|my package|my parcel|my box|mon panier|ma bo[iî]te|rembours|refund|"
    r"factur[ée]|charged|prélev|pr[ée]lev|d[ée]bit[ée]|mon compte|my account|pas re[çc]u|never (arrived|came|showed)|"
    r"didn'?t (get|receive)|manqu|missing|tracking|num[ée]ro de suivi|my (card|bill)|ma (carte|facture)|"
    r"annuler mon|cancel my|my subscription|mon abonnement|ma r[ée]servation|my booking|my flight|mon vol|"
    r"ma valise|my suitcase)",
    _F,
)

# Unambiguous markers that the person's own order, bill or account is involved: a reference number,
# a double charge, a login that fails, an order or refund that never came. Unlike `_SAC_HINT` ("refund",
# "my order" also appear in general questions and thanks), these are enough on their own in a question
# or a complaint. A four-digit number that reads as a year ("#2024") is not a reference.
_ACCOUNT_MARKER = re.compile(
    r"("
    # a reference number: "commande #48213", "order 48213", "colis n° 7781-22", "#30914"
    r"\b(?:commande|order|colis|parcel|package|facture|invoice|r[ée]servation|booking|dossier|ticket|confirmation|"
    r"suivi|tracking)\s*(?:(?:number|num[ée]ro|no\.?|n[°º]|#)\s*)?[:#]?\s*[A-Z]{0,3}-?(?!(?:19|20)\d{2}\b)\d{4,}(?:-\d+)?\b|"
    r"#\s?(?!(?:19|20)\d{2}\b)\d{4,}\b|"
    # billed twice: "prélevé deux fois", "charged twice", "débitée en double", "double charge"
    r"(?<!be )(?<![êe]tre )(?:factur|pr[ée]lev|d[ée]bit|charged|billed|paid|pay[ée])\w*\b[^.!?\n]{0,25}?"
    r"(?:deux fois|2 ?fois|twice|two times|en double)|"
    r"double (?:charge|billing|facturation|pr[ée]l[èe]vement|paiement|payment|d[ée]bit)|deux pr[ée]l[èe]vements|"
    # cannot get into one's account
    r"(?:arrive|peux|pouvons|r[ée]ussis)\s+(?:pas|plus)\s+(?:[àa]\s+|de\s+)?me\s+(?:re)?conn?ecter|"
    r"(?:pas|plus) capable de me (?:re)?conn?ecter|impossible de me (?:re)?conn?ecter|"
    r"(?:can'?t|cannot|can not|unable to|couldn'?t) (?:log|sign) ?(?:in|on)|"
    r"locked out|bloqu[ée]e? hors de mon compte|"
    r"(?:mon|my) (?:compte|account) (?:est |a été |is |was |got |has been )?(?:encore |still )?"
    r"(?:bloqu|suspendu|verrouill|pirat|hack|locked|blocked|suspended|frozen|gel[ée])|"
    # an order, parcel or refund that did not arrive
    r"(?:pas|jamais|toujours pas|rien) re[çc]u (?:ma|mon|mes) (?:commande|colis|panier|bo[iî]te|remboursement|carte)|"
    r"(?:never|haven'?t|have not|didn'?t|did not|still not|not yet) (?:received|recieved|got|gotten|get) my "
    r"(?:order|package|parcel|box|refund|card|delivery)|"
    r"where(?:'s| is) my (?:order|package|parcel|box|refund|delivery)|"
    r"o[ùu] (?:est|en est) (?:rendue? )?(?:ma commande|mon colis|mon remboursement|mon panier|ma bo[iî]te)|"
    r"(?:says|shows|marked(?: as)?|indiqu[ée]e?|marqu[ée]e?) (?:as )?(?:delivered|livr[ée]e?)"
    r")",
    _F,
)


# Words that describe something that went wrong: a joke on top of them would mock a real problem.
_PROBLEM = re.compile(
    r"(manqu|missing|pas re[çc]u|jamais (arriv|re[çc])|never (arrived|came|got)|didn'?t (get|receive|arrive)|"
    r"cass[ée]|broken|pourri|rotten|moisi|mouldy|moldy|stale|renvers|leaked|en retard|late again|\bretard|\bdelay|"
    r"erreur|mistake|wrong (item|order|plan|size)|mauvais (format|article|produit)|factur[ée] deux|charged twice|"
    r"pr[ée]lev[ée]e? deux|rembours|refund|annul[ée]|cancell?ed|perdu|lost|ab[îi]m[ée]|damaged|écras|crushed|"
    r"disparu|disappeared|vanished|d[ée]chir|torn|au lieu d|instead of|"
    # a service that failed: outages, things that don't work, nobody answering, waiting, stranded
    r"\bpannes?\b|coupures?\b|outages?\b|(ne |n')?(marche|fonctionne)n?t? (pas|plus)|"
    r"(doesn'?t|does not|don'?t|isn'?t|is not|not|stopped) work(ing|s)?\b|impossible de|"
    r"(can'?t|cannot|unable to) (get|access|reach|use|connect|login|log in|find)|\bbug(s|g[ée])?\b|"
    r"\bcrash|plant[ée]e?\b|pas de r[ée]ponse|aucune (r[ée]ponse|nouvelle)|no (answer|reply|response|one answers)|"
    r"personne ne (r[ée]pond|rappelle)|toujours (pas|rien|en attente)|still (waiting|no|not|nothing)|"
    r"j'attends (depuis|toujours|encore)|en attente depuis|waiting (for|since) (\d|over|more)|on hold|"
    r"depuis \d+ (jours|semaines|mois|heures|h\b)|for \d+ (days|weeks|months|hours)|\bstuck\b|stranded|"
    r"bloqu[ée]e?s?\b|overbook|surfactur|overcharg|supprim[ée]e?s?\b|no (heat|heating|power|signal|service|"
    r"internet|wifi|hot water)|pas de (chauffage|courant|r[ée]seau|connexion|signal)|sans (chauffage|eau chaude|"
    r"[ée]lectricit[ée]|gaz|internet|r[ée]seau))",
    _F,
)


QUESTION_WORD = re.compile(
    r"\b(how|what|when|where|why|which|who|can|could|is|are|do|does|will|comment|quand|pourquoi|quel|quelle|"
    r"quels|quelles|combien|est-ce|où|ou est|peut-on|pouvez|puis-je)\b",
    re.IGNORECASE,
)
LEADING_HANDLES = re.compile(r"^(?:\s*\.?@\w{1,30}[,:]?)+\s*")


def opens_with_question_word(text: str) -> bool:
    """A question word in the first 80 characters after the leading handles."""
    return bool(QUESTION_WORD.search(LEADING_HANDLES.sub("", text).strip()[:80]))


def asks(text: str) -> bool:
    """A question put to the brand: a question mark and a question word near the start (after handles)."""
    return "?" in text and opens_with_question_word(text)


def has_problem(text: str) -> bool:
    return bool(_PROBLEM.search(text))


# Hearsay ("il paraît que", "apparently"): the writer mocks a reputation, not a trip or an order of
# their own. The seed's line between mockery "by effect of style" and a personal bad experience.
_HEARSAY = re.compile(
    r"\b(?:il )?para[iî]t(?:rait)?(?:[- ]il)? qu|\bon (?:dit|raconte|m'a dit) qu|\bparait-il\b|\bparaît-il\b|"
    r"\bapparently\b|\bi(?:'ve)? heard (?:that )?(?:your|you|the)\b|\brumou?r (?:has it|is)\b|\bword is\b|"
    r"\bthey say (?:that )?(?:your|you)\b|\bsupposedly\b",
    _F,
)


def is_hearsay(text: str) -> bool:
    return bool(_HEARSAY.search(text))


def topics_of(text: str) -> list[str]:
    return [name for name, pattern in _TOPICS.items() if pattern.search(text)]


def has_account_marker(text: str) -> bool:
    """A clear sign that resolving this needs the person's account or order ("commande #48213", "charged twice")."""
    return bool(_ACCOUNT_MARKER.search(text))


def has_sac_hint(text: str) -> bool:
    """Words that mean the person's own order, bill or account is involved."""
    return bool(_SAC_HINT.search(text))


TRACTION_THRESHOLD = 50


def traction_score(engagement: Mapping[str, Any] | None) -> float:
    """Likes count once, replies twice and shares three times: replies and shares spread a bad buzz."""
    if not engagement:
        return 0.0
    weights = {"likes": 1, "reactions": 1, "replies": 2, "comments": 2, "shares": 3, "retweets": 3, "quotes": 3}
    score = 0.0
    for key, weight in weights.items():
        value = engagement.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            score += weight * float(value)
    return score


@dataclass(frozen=True)
class Signals:
    """Everything the rules saw in one comment."""

    personal_data: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    lure: bool = False
    distress: bool = False
    hardship: bool = False
    vulnerable: bool = False
    safety: bool = False
    legal: bool = False
    minor: bool = False
    injection: bool = False
    hate: bool = False
    insult: bool = False
    profanity: bool = False
    literacy: LiteracySignals = LiteracySignals(0, 0, False)
    sac_hint: bool = False
    account_marker: bool = False
    problem: bool = False
    hearsay: bool = False
    asks: bool = False
    traction: bool = False
    topics: list[str] = field(default_factory=list)


def detect(text: str, engagement: Mapping[str, Any] | None = None, vocab: frozenset[str] = frozenset()) -> Signals:
    literacy, fixed = _read_spelling(text, vocab)
    sac_hint = has_sac_hint(text) or has_sac_hint(fixed)
    account_marker = has_account_marker(text)
    problem = has_problem(text) or has_problem(fixed)
    topics = topics_of(text)
    # What the person holds against the brand, beyond the name-calling: a problem, their file, a service topic.
    has_grievance = sac_hint or account_marker or problem or bool(topics)
    return Signals(
        personal_data=find_personal_data(text),
        links=find_links(text),
        lure=has_lure(text),
        distress=has_distress(text),
        hardship=has_hardship(text),
        vulnerable=in_vulnerable_situation(text),
        safety=has_safety_issue(text),
        legal=has_legal_threat(text),
        minor=mentions_minor(text),
        injection=has_injection(text),
        hate=has_hate(text),
        insult=has_insult(text) or (bool(_ACCUSATION.search(text)) and not has_grievance),
        profanity=has_profanity(text),
        literacy=literacy,
        sac_hint=sac_hint,
        account_marker=account_marker,
        problem=problem,
        hearsay=is_hearsay(text),
        asks=asks(text),
        traction=traction_score(engagement) >= TRACTION_THRESHOLD,
        topics=topics,
    )
