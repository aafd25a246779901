"""The offline composer's fixed phrases, per language and French register; a persona may reword any.

None of them states a fact about the brand: facts only ever come from retrieved passages.
"""

from __future__ import annotations

import re

from knowledge.drafting.types import PassageLike
from knowledge.personas.model import Persona

_FR_VOUS = {
    "more_help": "N'hésitez pas si vous avez d'autres questions.",
    "short_close": "Au plaisir, {name}!",
    "thanks": "Merci pour votre message!",
    "praise": "Merci beaucoup, ça nous fait vraiment plaisir! Nous transmettons vos bons mots à l'équipe.",
    "praise_short": "Un immense merci, {name}, ça fait notre journée!",
    "banter": "Merci pour le sourire!",
    "sorry": "Nous sommes vraiment désolés de lire ça.",
    "calm": "Si vous avez vécu un problème avec une commande, écrivez-nous en message privé : nous allons regarder ça.",
    "sorry_short": "Vraiment désolés, {name}.",
    "sac_handoff": "Écrivez-nous en message privé avec votre numéro de commande : notre service à la clientèle va "
    "regarder votre dossier.",
    "dm_invite": "Bonne question! Écrivez-nous en message privé et notre équipe vous répondra avec les bonnes "
    "informations.",
    "dm_short": "Écrivez-nous en message privé, on vérifie pour vous.",
    "distress": "Nous sommes vraiment désolés de lire ce que vous traversez. Écrivez-nous en message privé : une "
    "personne de notre équipe va s'occuper de votre demande avec vous.",
    "distress_short": "{name}, toutes nos pensées sont avec vous. Écrivez-nous en message privé, nous allons "
    "vous aider personnellement.",
    "distress_close": "Prenez soin de vous.",
    "distress_care": "{name}, nous sommes vraiment désolés de lire ce que vous traversez.",
    "private_data": "Pour protéger vos renseignements personnels, évitez de les publier ici : écrivez-nous plutôt en "
    "message privé et notre service à la clientèle s'occupera de votre dossier.",
    "neutral": "Merci pour votre message! Écrivez-nous en message privé si vous avez une question.",
    "helpline": "Si vous avez des idées suicidaires, appelez ou textez le 988 (Canada) ou le 3114 (France), en tout "
    "temps.",
    "sober_greeting": "Bonjour {name},",
    "other_lang_note": "La réponse n'existe qu'en {other} dans la base ({id}) : « {answer} » — à adapter en "
    "français avant de répondre publiquement (rien n'a été traduit automatiquement).",
    "register_note": "Le texte de la FAQ vouvoie : à adapter au tutoiement.",
    "uncertain_note": "Correspondance incertaine dans la base : vérifiez qu'elle répond à la question avant d'envoyer.",
    "avoid_note": "Contient un mot à éviter pour ce persona : {words}.",
    "adapt_marker": "[À adapter]",
    "adapt_note": "À adapter : inspiration tirée d'une réponse virale passée ({id}), à réécrire pour ce commentaire "
    "— pas une réponse générée.",
    "shortened_note": "Raccourcie pour tenir dans la limite de la plateforme.",
    "seriously": "Plus sérieusement :",
    "adapted_note": "Rédigée à partir d'une entrée qui n'existe qu'en {other} ({id}) : « {answer} » — vérifiez "
    "l'adaptation avant d'envoyer.",
    "dm_case": "Pour votre cas précis, écrivez-nous en message privé, on vérifie pour vous.",
    "wit_note": "À adapter : trait d'esprit ({source}), puis la réponse de la FAQ ({id}) telle quelle — "
    "relisez le ton avant d'envoyer.",
    "wit_source_viral": "réponse virale {id}",
    "wit_source_persona": "exemple du persona",
    "wit_source_quip": "réplique du persona",
    "quip_note": "À adapter : une réplique générique du persona, à personnaliser pour ce commentaire.",
}
_FR_TU = {
    **_FR_VOUS,
    "more_help": "N'hésite pas si tu as d'autres questions.",
    "thanks": "Merci pour ton message!",
    "praise": "Merci beaucoup, ça nous fait vraiment plaisir! On transmet tes bons mots à l'équipe.",
    "sorry": "On est vraiment désolés de lire ça.",
    "calm": "Si tu as vécu un problème avec une commande, écris-nous en message privé : on va regarder ça.",
    "sac_handoff": "Écris-nous en message privé avec ton numéro de commande : notre service à la clientèle va "
    "regarder ton dossier.",
    "dm_invite": "Bonne question! Écris-nous en message privé et notre équipe va te répondre avec les bonnes "
    "informations.",
    "dm_short": "Écris-nous en message privé, on vérifie pour toi.",
    "distress": "On est vraiment désolés de lire ce que tu traverses. Écris-nous en message privé : une personne de "
    "notre équipe va s'occuper de ta demande avec toi.",
    "distress_short": "{name}, toutes nos pensées sont avec toi. Écris-nous en message privé, on va t'aider "
    "personnellement.",
    "distress_close": "Prends soin de toi.",
    "distress_care": "{name}, on est vraiment désolés de lire ce que tu traverses.",
    "private_data": "Pour protéger tes renseignements personnels, évite de les publier ici : écris-nous plutôt en "
    "message privé et notre service à la clientèle s'occupera de ton dossier.",
    "neutral": "Merci pour ton message! Écris-nous en message privé si tu as une question.",
    "helpline": "Si tu as des idées suicidaires, appelle ou texte le 988 (Canada) ou le 3114 (France), en tout temps.",
    "dm_case": "Pour ton cas précis, écris-nous en message privé, on vérifie pour toi.",
}
_EN = {
    "more_help": "Let us know if you have any other questions.",
    "short_close": "Hope this helps, {name}!",
    "thanks": "Thanks for your message!",
    "praise": "Thank you so much, this really made our day! We'll pass your kind words on to the team.",
    "praise_short": "Thank you, {name}, you made our day!",
    "banter": "Thanks for the smile!",
    "sorry": "We're really sorry to read this.",
    "calm": "If something went wrong with an order, send us a private message and we'll look into it.",
    "sorry_short": "Really sorry, {name}.",
    "sac_handoff": "Please send us a private message with your order number: our customer care team will look into "
    "your account.",
    "dm_invite": "Good question! Send us a private message and our team will get back to you with the right details.",
    "dm_short": "Send us a private message and we'll check for you.",
    "distress": "We're so sorry to read what you're going through. Please send us a private message: someone from our "
    "team will take care of this with you.",
    "distress_short": "{name}, our thoughts are with you. Please send us a private message, we'll help you personally.",
    "distress_close": "Take care.",
    "distress_care": "{name}, we're so sorry to read what you're going through.",
    "private_data": "To protect your personal information, please don't post it here: send us a private message "
    "instead and our customer care team will take care of your file.",
    "neutral": "Thanks for your message! Send us a private message if you have any question.",
    "helpline": "If you're thinking about suicide, call or text 988 (Canada, US), any time.",
    "sober_greeting": "Hello {name},",
    "other_lang_note": "The answer only exists in {other} in the knowledge base ({id}): “{answer}” — adapt it "
    "into English before replying in public (nothing was machine-translated).",
    "register_note": "",
    "uncertain_note": "Uncertain match in the knowledge base: check it answers the question before sending.",
    "avoid_note": "Contains a word this persona avoids: {words}.",
    "adapt_marker": "[To adapt]",
    "adapt_note": "To adapt: inspiration from a past viral reply ({id}), to rewrite for this comment — not a generated "
    "reply.",
    "shortened_note": "Shortened to fit the platform's limit.",
    "seriously": "More seriously:",
    "adapted_note": "Written from an entry that only exists in {other} ({id}): “{answer}” — check the adaptation "
    "before sending.",
    "dm_case": "For your own case, send us a private message and we'll check for you.",
    "wit_note": "To adapt: a quip ({source}), then the FAQ answer ({id}) as written — check the tone before sending.",
    "wit_source_viral": "viral reply {id}",
    "wit_source_persona": "persona example",
    "wit_source_quip": "persona quip",
    "quip_note": "To adapt: one of the persona's generic lines, to personalise for this comment.",
}
# In a direct message the person already writes in private: these say what to do here instead of
# inviting to private messages (and may ask for the details a public reply must never ask for).
_FR_VOUS |= {
    "calm@private": "Si vous avez vécu un problème avec une commande, donnez-nous votre numéro de commande : nous "
    "allons regarder ça.",
    "sac_handoff@private": "Pouvez-vous nous donner votre numéro de commande et l'adresse courriel de votre compte? "
    "Notre service à la clientèle va regarder votre dossier.",
    "dm_invite@private": "Bonne question! Notre équipe vérifie et vous répond ici avec les bonnes informations.",
    "dm_short@private": "Notre équipe vérifie et vous répond ici.",
    "distress@private": "Nous sommes vraiment désolés de lire ce que vous traversez. Une personne de notre équipe va "
    "s'occuper de votre demande avec vous, ici même.",
    "distress_short@private": "{name}, toutes nos pensées sont avec vous. Une personne de notre équipe vous répond "
    "ici, personnellement.",
    "private_data@private": "Merci pour ces précisions : notre service à la clientèle s'occupe de votre dossier et "
    "vous répond ici.",
    "neutral@private": "Merci pour votre message! Dites-nous comment nous pouvons vous aider.",
    "dm_case@private": "Pour votre cas précis, donnez-nous votre numéro de commande : on vérifie pour vous.",
}
_FR_TU |= {
    "calm@private": "Si tu as vécu un problème avec une commande, donne-nous ton numéro de commande : on va regarder "
    "ça.",
    "sac_handoff@private": "Peux-tu nous donner ton numéro de commande et l'adresse courriel de ton compte? Notre "
    "service à la clientèle va regarder ton dossier.",
    "dm_invite@private": "Bonne question! Notre équipe vérifie et te répond ici avec les bonnes informations.",
    "dm_short@private": "Notre équipe vérifie et te répond ici.",
    "distress@private": "On est vraiment désolés de lire ce que tu traverses. Une personne de notre équipe va "
    "s'occuper de ta demande avec toi, ici même.",
    "distress_short@private": "{name}, toutes nos pensées sont avec toi. Une personne de notre équipe te répond ici, "
    "personnellement.",
    "private_data@private": "Merci pour ces précisions : notre service à la clientèle s'occupe de ton dossier et te "
    "répond ici.",
    "neutral@private": "Merci pour ton message! Dis-nous comment on peut t'aider.",
    "dm_case@private": "Pour ton cas précis, donne-nous ton numéro de commande : on vérifie pour toi.",
}
_EN |= {
    "calm@private": "If something went wrong with an order, give us your order number and we'll look into it.",
    "sac_handoff@private": "Could you give us your order number and your account's e-mail address? Our customer care "
    "team will look into your account.",
    "dm_invite@private": "Good question! Our team is checking and will get back to you here with the right details.",
    "dm_short@private": "Our team is checking and will get back to you here.",
    "distress@private": "We're so sorry to read what you're going through. Someone from our team will take care of "
    "this with you, right here.",
    "distress_short@private": "{name}, our thoughts are with you. Someone from our team will answer you here, "
    "personally.",
    "private_data@private": "Thanks for these details: our customer care team is taking care of your file and will "
    "answer you here.",
    "neutral@private": "Thanks for your message! Tell us how we can help.",
    "dm_case@private": "For your own case, give us your order number and we'll check for you.",
}
PRIVATE_SUFFIX = "@private"


def in_private(key: str) -> str:
    """The phrase to say in a direct message instead of `key`, when it has one."""
    private = key + PRIVATE_SUFFIX
    return private if private in _EN else key


LANG_NAMES = {"fr": {"fr": "français", "en": "anglais"}, "en": {"fr": "French", "en": "English"}}


def fill(template: str, name: str | None, **values: str) -> str:
    """Put the first name in; without one, drop `{name}` and the comma or space that goes with it."""
    if name:
        text = template.replace("{name}", name)
    else:
        text = re.sub(r",\s*\{name\}\s*,", ",", template)  # "merci, {name}, ça" → "merci, ça"
        text = re.sub(r",\s*\{name\}", "", text)  # "Au plaisir, {name}!" → "Au plaisir!"
        text = re.sub(r"^\s*\{name\}\s*,?\s*", "", text)  # "{name}, toutes…" → "toutes…"
        text = re.sub(r"\s*\{name\}", "", text).strip()  # "Bonjour {name}," → "Bonjour,"
        text = text[:1].upper() + text[1:]
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def phrase(key: str, lang: str, persona: Persona, name: str | None = None, **values: str) -> str:
    """A phrase in the comment's language and the persona's register (its own wording if it has one)."""
    own = persona.phrases.get(key)
    if own is not None:
        template = own.get(lang)
    elif lang == "fr":
        template = (_FR_TU if persona.tu_vous == "tu" else _FR_VOUS)[key]
    else:
        template = _EN[key]
    return fill(template, name, **values)


def other_lang_note(passage: PassageLike, lang: str, persona: Persona, key: str = "other_lang_note") -> str:
    """Tells the CM the answer exists only in the other language, and offers the entry to adapt
    (`adapted_note`: the model already wrote it in the comment's language, to check)."""
    other = LANG_NAMES[lang].get(passage.lang or "", passage.lang or "?")
    excerpt = passage.answer if len(passage.answer) <= 300 else passage.answer[:297] + "…"
    return phrase(key, lang, persona, other=other, id=passage.id, answer=excerpt)
