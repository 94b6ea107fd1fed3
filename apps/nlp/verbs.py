"""The verbs of the English->French grammar: each with the subjects and objects it takes (by noun kind or noun),
and its preposition in each language where it needs one."""

from __future__ import annotations

from .vocabulary import NAMES, NOUNS, Verb


def _verb(en: str, fr: str, subjects: str, objects: str, **kw) -> Verb:
    """`objects`: kind letters (one word of them, e.g. "tfd") and/or noun keys ("book letter")."""
    keys: list[str] = []
    for word in objects.split():
        if word in NOUNS:
            keys.append(word)
        else:
            keys += [k for k, n in NOUNS.items() if n.kind in word]
            keys += [k for k, n in NAMES.items() if n.kind in word]
    return Verb(en, fr, subjects, tuple(keys), **kw)


VERBS = {
    v.en: v
    for v in [
        _verb("see", "voir", "pa", "patfdlw"),
        _verb("watch", "regarder", "pa", "pat"),
        _verb("like", "aimer", "pa", "patfdlw", generic=True),
        _verb("love", "adorer", "p", "patfdlcw", generic=True),
        _verb("hate", "détester", "p", "patfdlw", generic=True),
        _verb("prefer", "préférer", "p", "atfdw", generic=True),
        _verb("want", "vouloir", "pa", "atfd"),
        _verb("have", "avoir", "p", "atfd"),
        _verb("eat", "manger", "pa", "f"),
        _verb("drink", "boire", "pa", "d"),
        _verb("take", "prendre", "p", "tfd"),
        _verb("make", "faire", "p", "cake pie soup sandwich bread"),
        _verb("find", "trouver", "pa", "at"),
        _verb("look", "chercher", "pa", "pat", en_prep="for"),
        _verb("wait", "attendre", "p", "p train boat plane", en_prep="for"),
        _verb("carry", "porter", "p", "t"),
        _verb("buy", "acheter", "p", "tfd"),
        _verb("sell", "vendre", "p", "atfd"),
        _verb("read", "lire", "p", "book letter newspaper map story"),
        _verb("write", "écrire", "p", "book letter story song"),
        # English "listen to" but a direct object in French: "j'écoute la chanson".
        _verb("listen", "écouter", "pa", "p song bird", en_prep="to"),
        _verb("wash", "laver", "p", "at"),
        _verb("clean", "nettoyer", "p", "tl"),
        _verb("open", "ouvrir", "p", "door window box book bag"),
        _verb("close", "fermer", "p", "door window box book bag"),
        _verb("choose", "choisir", "p", "tfd"),
        _verb("finish", "finir", "p", "book story song soup cake"),
        _verb("draw", "dessiner", "p", "patfl"),
        _verb("visit", "visiter", "p", "lc"),
        _verb("know", "connaître", "p", "plc"),
        _verb("help", "aider", "p", "pa"),
        _verb("call", "appeler", "p", "pa"),
        _verb("repair", "réparer", "p", "car bicycle clock phone computer door window lamp chair table boat"),
        _verb("cook", "cuisiner", "p", "f"),
        _verb("bring", "apporter", "p", "tfd"),
        _verb("lose", "perdre", "p", "t"),
        _verb("forget", "oublier", "p", "t"),
        _verb("begin", "commencer", "p", "book story song film"),
        _verb("throw", "lancer", "p", "ball stone"),
        _verb("catch", "attraper", "pa", "a ball"),
        _verb("follow", "suivre", "pa", "pa"),
        _verb("go", "aller", "pa", "lc", prep="à", en_prep="to"),
        _verb("come", "venir", "pa", "lc", prep="de", en_prep="from"),
        _verb("speak", "parler", "p", "p", prep="à", en_prep="to"),
        _verb("talk", "parler", "p", "patflw", prep="de", en_prep="about"),
        _verb("think", "penser", "p", "patflw", prep="à", en_prep="about"),
        _verb("play", "jouer", "pa", "pa ball", prep="avec", en_prep="with"),
        _verb("arrive", "arriver", "pa", "l", prep="à", en_prep="at"),
    ]
}
