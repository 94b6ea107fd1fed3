"""French and English word forms for the grammar: elision, plurals, third person, present-tense conjugation."""

from __future__ import annotations

# 'y' is left out on purpose: French does not elide before it ("le yaourt").
VOWELS = frozenset("aeiouàâäéèêëîïôöûüœ")
# Words whose h is "aspirated": no elision, "le hibou" and not "l'hibou".
H_ASPIRE = frozenset({"hibou", "hiboux", "haricot", "héros"})


def starts_with_vowel(word: str) -> bool:
    """True where French elides before `word` (vowel or mute h: "l'arbre", "l'homme")."""
    w = word.lower()
    return w[0] in VOWELS or (w[0] == "h" and w not in H_ASPIRE)


def en_plural(word: str) -> str:
    if word.endswith(("s", "sh", "ch", "x", "to")):
        return word + "es"
    if word.endswith("y") and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def en_third_person(verb: str) -> str:
    """English present, 3rd person singular: sees, watches, carries, goes, has."""
    if verb == "have":
        return "has"
    return verb + "es" if verb.endswith("o") else en_plural(verb)


def fr_plural(word: str) -> str:
    if word.endswith(("s", "x", "z")):
        return word
    if word.endswith(("eau", "eu")):
        return word + "x"
    if word.endswith("al"):
        return word[:-2] + "aux"
    return word + "s"


# Present tense, je tu il nous vous ils, of the verbs the regular -er/-ir/-re patterns get wrong.
IRREGULAR = {
    "être": "suis es est sommes êtes sont",
    "avoir": "ai as a avons avez ont",
    "aller": "vais vas va allons allez vont",
    "faire": "fais fais fait faisons faites font",
    "voir": "vois vois voit voyons voyez voient",
    "prendre": "prends prends prend prenons prenez prennent",
    "vouloir": "veux veux veut voulons voulez veulent",
    "pouvoir": "peux peux peut pouvons pouvez peuvent",
    "venir": "viens viens vient venons venez viennent",
    "lire": "lis lis lit lisons lisez lisent",
    "boire": "bois bois boit buvons buvez boivent",
    "écrire": "écris écris écrit écrivons écrivez écrivent",
    "connaître": "connais connais connaît connaissons connaissez connaissent",
    "suivre": "suis suis suit suivons suivez suivent",
    "ouvrir": "ouvre ouvres ouvre ouvrons ouvrez ouvrent",
    "acheter": "achète achètes achète achetons achetez achètent",
    "préférer": "préfère préfères préfère préférons préférez préfèrent",
    "appeler": "appelle appelles appelle appelons appelez appellent",
    "nettoyer": "nettoie nettoies nettoie nettoyons nettoyez nettoient",
}
_ENDINGS = {"er": "e es e ons ez ent", "ir": "is is it issons issez issent", "re": "s s _ ons ez ent"}


def conjugate(infinitive: str, person: int) -> str:
    """Present tense; `person` 0-5 is je, tu, il/elle, nous, vous, ils/elles."""
    if infinitive in IRREGULAR:
        return IRREGULAR[infinitive].split()[person]
    stem, ending = infinitive[:-2], _ENDINGS[infinitive[-2:]].split()[person].strip("_")
    if person == 3 and stem.endswith("g"):  # keeps the soft g: "nous mangeons"
        stem += "e"
    if person == 3 and stem.endswith("c"):  # keeps the soft c: "nous commençons"
        stem = stem[:-1] + "ç"
    return stem + ending
