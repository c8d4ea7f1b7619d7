"""A few hundred short, hand-made Dutch texts on four subjects, for topic tests."""

from __future__ import annotations

import itertools

SUBJECTS = {
    "huur": (["De huur van het pand", "Onze huurprijs", "Het huurcontract met de eigenaar", "De huurverhoging"],
             ["stijgt elk jaar", "is veel te hoog voor starters", "loopt volgend jaar af", "drukt op de marge"],
             ["zegt de ondernemer.", "volgens de bakker.", "aldus de kapper.", "vertelt de eigenaar."]),
    "subsidie": (["De subsidie van de gemeente", "Het subsidieloket", "De aanvraag voor subsidie",
                  "Het budget van het fonds"],
                 ["kost veel papierwerk", "was na twee weken op", "werd afgewezen", "vraagt eindeloze formulieren"],
                 ["zegt de wethouder.", "volgens de ambtenaar.", "aldus de projectleider.", "vertelt de adviseur."]),
    "markt": (["De weekmarkt op zaterdag", "De kraam van de visboer", "Het marktplein", "De marktmeester"],
              ["trekt veel bezoekers uit de wijk", "staat altijd vol", "is gezellig druk", "brengt klanten naar de winkels"],
              ["zegt de koopman.", "volgens de bezoeker.", "aldus de marktkoopman.", "vertelt de buurman."]),
    "fiets": (["De fietsenstalling bij het station", "Het fietspad langs de kade", "De fietsenmaker",
               "De bakfiets van de bezorger"],
              ["is altijd overvol", "moet nodig worden verbreed", "repareert lekke banden", "rijdt elke ochtend rond"],
              ["zegt de fietser.", "volgens de bewoner.", "aldus de koerier.", "vertelt de student."]),
}


def topic_texts(per_subject: int = 64) -> tuple[list[str], list[str]]:
    """Texts and their subject, interleaved so that the subjects are not in blocks."""
    per: dict[str, list[str]] = {}
    for name, (heads, verbs, tails) in SUBJECTS.items():
        combos = [" ".join(parts) for parts in itertools.product(heads, verbs, tails)]
        per[name] = combos[:per_subject]
    texts, labels = [], []
    for i in range(per_subject):
        for name in SUBJECTS:
            texts.append(per[name][i])
            labels.append(name)
    return texts, labels
