"""The lexicon of the English→French grammar in `grammar.py`: nouns, adjectives and names
(verbs are in `verbs.py`, word forms are derived in `morphology.py`).

Every entry is keyed by its English form, which is unique across its table, so a sentence specification
built from English keys renders to exactly one French sentence. Nouns and adjectives carry *kinds* that say
what may be combined with what (a "white house" but not a "tired house"):

    p person   a animal   t thing   w work (story, song, film)   f food   d drink   l place
    c city (names only)

Regular plurals and agreement forms are derived; only the irregular ones are written out.
"""

from __future__ import annotations

from dataclasses import dataclass

from .morphology import en_plural, fr_plural


@dataclass(frozen=True)
class Noun:
    en: str
    fr: str
    gender: str  # "m" | "f"
    kind: str
    en_pl: str
    fr_pl: str


@dataclass(frozen=True)
class Adjective:
    en: str
    forms: tuple[str, str, str, str]  # masculine singular, feminine singular, masculine plural, feminine plural
    kinds: str
    pre: bool  # placed before the noun ("un grand chat") rather than after ("un chat blanc")
    elided: str | None  # masculine singular before a vowel: "un bel arbre", "le vieil homme"

    def form(self, gender: str, plural: bool) -> str:
        return self.forms[(gender == "f") + 2 * plural]


@dataclass(frozen=True)
class Verb:
    en: str
    fr: str  # infinitive
    subjects: str  # kinds
    objects: tuple[str, ...]  # noun keys and name keys it takes as object
    prep: str | None = None  # French preposition before the object ("aller à")
    en_prep: str | None = None  # English particle ("go to", "listen to")
    generic: bool = False  # verbs of liking take definite objects in French ("j'aime les chats"): no "a"


@dataclass(frozen=True)
class Name:
    en: str
    fr: str
    gender: str
    kind: str  # "p" or "c"


# kind English French gender [English plural|-] [French plural]
_NOUNS = """
p boy garçon m
p girl fille f
p man homme m men
p woman femme f women
p child enfant m children
p friend ami m
p brother frère m
p sister sœur f
p father père m
p mother mère f
p uncle oncle m
p aunt tante f
p teacher professeur m
p doctor médecin m
p student étudiant m
p neighbour voisin m
p baker boulanger m
p king roi m
p queen reine f
p actress actrice f
p singer chanteur m
p grandfather grand-père m - grands-pères
p grandmother grand-mère f - grands-mères
p baby bébé m
p nurse infirmière f
p farmer fermier m
p waiter serveur m
p engineer ingénieur m
a cat chat m
a dog chien m
a horse cheval m
a bird oiseau m
a mouse souris f mice
a cow vache f
a pig cochon m
a rabbit lapin m
a owl hibou m - hiboux
a duck canard m
a hen poule f
a wolf loup m wolves
a bear ours m
a fox renard m
a lion lion m
a elephant éléphant m
a tiger tigre m
a frog grenouille f
a goat chèvre f
a snake serpent m
a monkey singe m
a turtle tortue f
a bee abeille f
a ant fourmi f
a eagle aigle m
t book livre m
t table table f
t chair chaise f
t car voiture f
t bicycle vélo m
t ball ballon m
t letter lettre f
t pen stylo m
t bag sac m
t hat chapeau m
t shirt chemise f
t dress robe f
t shoe chaussure f
t key clé f
t door porte f
t window fenêtre f
t bed lit m
t lamp lampe f
t clock horloge f
t phone téléphone m
t computer ordinateur m
t painting tableau m
t flower fleur f
t tree arbre m
t star étoile f
t box boîte f
t plate assiette f
t cup tasse f
t glass verre m
t newspaper journal m
w film film m
w song chanson f
w story histoire f
t wardrobe armoire f
t umbrella parapluie m
t coat manteau m
t boat bateau m
t train train m
t plane avion m
t knife couteau m knives
t map carte f
t toy jouet m
t ring bague f
t stone pierre f
f apple pomme f
f bread pain m
f cake gâteau m
f cheese fromage m
f egg œuf m
f orange orange f
f banana banane f
f pear poire f
f soup soupe f
f tomato tomate f
f carrot carotte f
f strawberry fraise f
f lemon citron m
f pie tarte f
f sandwich sandwich m
f chicken poulet m
d coffee café m
d tea thé m
d juice jus m
d lemonade limonade f
d beer bière f
d wine vin m
l house maison f
l school école f
l garden jardin m
l park parc m
l market marché m
l shop magasin m
l church église f
l hospital hôpital m
l hotel hôtel m
l beach plage f
l forest forêt f
l city ville f
l village village m
l library bibliothèque f
l museum musée m
l station gare f
l farm ferme f
l bakery boulangerie f
l restaurant restaurant m
l island île f
l office bureau m
l castle château m
l bridge pont m
l street rue f
l airport aéroport m
l kitchen cuisine f
l bedroom chambre f
"""

# kinds position(< before the noun, > after) English French-m.sg [f.sg|-] [m.pl|-] [elided m.sg]; "=" invariable
_ADJECTIVES = """
patfl < big grand
patfl < small petit
patflw < beautiful beau belle beaux bel
patl < pretty joli
pa < young jeune
patl < old vieux vieille vieux vieil
patfdw < good bon bonne
ptlw < new nouveau nouvelle nouveaux nouvel
patfdw < bad mauvais
pa < fat gros grosse
tlw < long long longue
atfl > white blanc blanche
atfl > black noir
atfl > red rouge
atfl > green vert
atfl > blue bleu
atfl > yellow jaune
atl > grey gris
atl > brown marron =
pa > happy heureux heureuse
paw > sad triste
pa > tired fatigué
pa > kind gentil gentille
p > nice sympathique
paw > funny drôle
pa > clever intelligent
pa > lazy paresseux paresseuse
p > proud fier fière
pa > angry fâché
pa > sick malade
pa > strong fort
pa > calm calme
at > fast rapide
at > slow lent
tfdl > expensive cher chère
tl > clean propre
atl > dirty sale
tl > empty vide
tl > full plein
tf > heavy lourd
tf > light léger légère
tfdl > hot chaud
tfdl > cold froid
fd > sweet doux douce
fd > fresh frais fraîche
tf > dry sec sèche
fd > delicious délicieux délicieuse
ptlw > famous célèbre
tlw > modern moderne
tl > ancient ancien ancienne
l > quiet tranquille
pal > noisy bruyant
al > dangerous dangereux dangereuse
tf > round rond
t > broken cassé
patw > strange étrange
a > wild sauvage
"""

_NAMES = """
p m Paul Paul
p f Marie Marie
p f Anne Anne
p m Louis Louis
p f Julie Julie
p f Emma Emma
p m Hugo Hugo
p f Léa Léa
p m Thomas Thomas
p f Sophie Sophie
p m Lucas Lucas
p f Claire Claire
p f Alice Alice
p m Antoine Antoine
p m Émile Émile
p m Nicolas Nicolas
p f Camille Camille
p f Isabelle Isabelle
p m Olivier Olivier
p f Chloé Chloé
p m Marc Marc
p f Élise Élise
p m Pierre Pierre
c f Paris Paris
c f Lyon Lyon
c f Marseille Marseille
c f Lille Lille
c f Bordeaux Bordeaux
c f Avignon Avignon
c f Orléans Orléans
c f Amiens Amiens
c f Toulouse Toulouse
c f Rome Rome
c f London Londres
c f Berlin Berlin
c f Madrid Madrid
c f Athens Athènes
c f Venice Venise
c f Amsterdam Amsterdam
c f Oslo Oslo
c f Lisbon Lisbonne
c f Brussels Bruxelles
c f Geneva Genève
"""

def _nouns() -> dict[str, Noun]:
    out = {}
    for line in _NOUNS.strip().splitlines():
        kind, en, fr, gender, *rest = line.split()
        en_pl = rest[0] if rest and rest[0] != "-" else en_plural(en)
        out[en] = Noun(en, fr, gender, kind, en_pl, rest[1] if len(rest) > 1 else fr_plural(fr))
    return out


def _adjectives() -> dict[str, Adjective]:
    out = {}
    for line in _ADJECTIVES.strip().splitlines():
        kinds, position, en, ms, *rest = line.split()
        if rest == ["="]:
            forms = (ms, ms, ms, ms)
        else:
            rest += ["-"] * (3 - len(rest))
            fs = rest[0] if rest[0] != "-" else ms if ms.endswith("e") else ms + "e"
            mp = rest[1] if rest[1] != "-" else ms if ms.endswith(("s", "x")) else ms + "s"
            forms = (ms, fs, mp, fs + "s")
        elided = rest[2] if len(rest) > 2 and rest[2] not in ("-", "=") else None
        out[en] = Adjective(en, forms, kinds, position == "<", elided)
    return out


NOUNS = _nouns()
ADJECTIVES = _adjectives()
NAMES = {en: Name(en, fr, gender, kind) for kind, gender, en, fr in map(str.split, _NAMES.strip().splitlines())}
