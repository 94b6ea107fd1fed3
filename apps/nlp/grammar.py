"""A generated English→French parallel corpus: the translation app's default data, no download needed.

A sentence is first drawn as a `Sentence` specification (form, subject, verb, object, adjectives; all keyed
by English words from `vocabulary.py`) and then rendered into both languages by rule, so every pair is a
correct translation by construction. The grammar covers:

* noun phrases: definite/indefinite articles (le/la/les/l', un/une/des, "an" before a vowel), possessives
  (mon/ma/mes ... leur/leurs, "mon école" before a vowel), genitives ("the boy's dog" → "le chien du garçon"),
  one optional adjective agreeing in gender and number, placed after the noun except for a small set placed
  before it (grand, petit, beau, joli, jeune, vieux, bon, nouveau, mauvais, gros, long), with the
  pre-vowel forms bel/vieil/nouvel, and "de" for "des" before a preposed plural adjective ("de grands chats");
* clauses in the present tense: statements, negations (ne ... pas, "de" for un/une/des on a negated direct
  object: "je n'ai pas de chat"; do-support in English), yes/no questions ("est-ce que ..."; English
  inversion/do-support), "where" questions with French subject-pronoun inversion ("où es-tu"),
  "what" and "who" questions, predicate adjectives ("the cats are not small"), modal "can"/"want to";
* contractions and elision as a final pass: du/des/au/aux, and l'/j'/n'/d'/qu' before a vowel or mute h
  (an aspirated h keeps the full form: "le hibou").

Conventions:

* Text is plain and untokenized: the first letter is capitalised and the final "." or "?" is attached to
  the last word in *both* languages ("Le chat est grand.", "Où es-tu?"); the French typographic space
  before "?" is left out so the two sides follow one rule.
* English → French is a function: an English sentence has exactly one French translation. To keep it so,
  "you" is always "tu" and "you all" is "vous"; "your" is "votre/vos" when the subject is "you all" and
  "ton/ta/tes" otherwise; "they" is "ils"; pronoun subjects take masculine agreement except "she".
* `generate_corpus` keeps one pair per English sentence, so its splits are disjoint by English sentence.
"""

from __future__ import annotations

import random
from contextlib import nullcontext
from dataclasses import dataclass, replace

from .morphology import conjugate, en_third_person, starts_with_vowel
from .verbs import VERBS
from .vocabulary import ADJECTIVES, NAMES, NOUNS

# English pronoun -> (person 0-5, French, gender for agreement)
PRONOUNS = {
    "I": (0, "je", "m"),
    "you": (1, "tu", "m"),
    "he": (2, "il", "m"),
    "she": (2, "elle", "f"),
    "we": (3, "nous", "m"),
    "you all": (4, "vous", "m"),
    "they": (5, "ils", "m"),
}
# Determiner key -> (English, French m.sg, f.sg, plural). "yourpl" is the "your" of "you all".
POSSESSIVES = {
    "my": ("my", "mon", "ma", "mes"),
    "your": ("your", "ton", "ta", "tes"),
    "his": ("his", "son", "sa", "ses"),
    "her": ("her", "son", "sa", "ses"),
    "our": ("our", "notre", "notre", "nos"),
    "yourpl": ("your", "votre", "votre", "vos"),
    "their": ("their", "leur", "leur", "leurs"),
}
MODALS = {"can": "pouvoir", "want": "vouloir"}
FORMS = ("statement", "negative", "question", "where", "what", "who")
QUESTIONS = frozenset({"question", "where", "what", "who"})
EN_BE = ("am", "are", "is", "are", "are", "are")
CONTRACTIONS = {("de", "le"): "du", ("de", "les"): "des", ("à", "le"): "au", ("à", "les"): "aux"}
ELIDABLE = frozenset({"je", "ne", "le", "la", "de", "que"})
PROGRESS_ABOVE = 20_000  # sentences; smaller corpora are generated too fast for a bar to help


@dataclass(frozen=True)
class NP:
    """A noun phrase: a pronoun, a name, or determiner + noun (+ adjective) (+ genitive `owner`)."""

    noun: str | None = None
    det: str = "the"  # "the", "a", or a POSSESSIVES key; ignored when `owner` is set
    plural: bool = False
    adj: str | None = None
    owner: NP | None = None
    pronoun: str | None = None
    name: str | None = None

    @property
    def person(self) -> int:
        return PRONOUNS[self.pronoun][0] if self.pronoun else 5 if self.plural else 2

    @property
    def gender(self) -> str:
        if self.pronoun:
            return PRONOUNS[self.pronoun][2]
        return NAMES[self.name].gender if self.name else NOUNS[self.noun].gender

    @property
    def kind(self) -> str:
        return NOUNS[self.noun].kind if self.noun else "p" if self.pronoun else NAMES[self.name].kind


@dataclass(frozen=True)
class Sentence:
    """One sentence, fully specified. verb "be" is the copula with predicate adjective `adj`; "where"
    questions use "be" and no adjective; "what" questions have no object, "who" questions no subject."""

    form: str  # one of FORMS
    subject: NP | None
    verb: str = "be"
    obj: NP | None = None
    adj: str | None = None
    modal: str | None = None  # "can" | "want" (+ infinitive)


# ---------------------------------------------------------------------------------------------- English


def en_np(np: NP) -> str:
    if np.pronoun:
        return np.pronoun
    if np.name:
        return NAMES[np.name].en
    noun = NOUNS[np.noun]
    words = [ADJECTIVES[np.adj].en] if np.adj else []
    words.append(noun.en_pl if np.plural else noun.en)
    if np.owner:
        owner = en_np(np.owner)
        det = owner + ("'" if np.owner.plural and owner.endswith("s") else "'s")  # "the boys' dog"
    elif np.det == "a":
        det = "" if np.plural else "an" if words[0][0] in "aeiou" else "a"  # bare plural: "I see cats"
    else:
        det = "the" if np.det == "the" else POSSESSIVES[np.det][0]
    return " ".join(filter(None, [det, *words]))


def en_words(s: Sentence) -> list[str]:
    if s.verb == "be":
        subj, be = en_np(s.subject), EN_BE[s.subject.person]
        adj = ADJECTIVES[s.adj].en if s.adj else ""
        return {
            "statement": [subj, be, adj],
            "negative": [subj, be, "not", adj],
            "question": [be, subj, adj],
            "where": ["where", be, subj],
        }[s.form]
    verb = VERBS[s.verb]
    vp = [verb.en, *filter(None, [verb.en_prep]), *([en_np(s.obj)] if s.obj else [])]
    if s.form == "who":
        return ["who", en_third_person(vp[0]), *vp[1:]]
    subj, third = en_np(s.subject), s.subject.person == 2
    if s.modal == "can":  # a modal is its own auxiliary: no do-support
        return {"statement": [subj, "can"], "negative": [subj, "cannot"], "question": ["can", subj]}[s.form] + vp
    if s.modal == "want":
        vp = ["want", "to", *vp]
    do = "does" if third else "do"
    return {
        "statement": [subj, en_third_person(vp[0]) if third else vp[0], *vp[1:]],
        "negative": [subj, do, "not", *vp],
        "question": [do, subj, *vp],
        "what": ["what", do, subj, *vp],
    }[s.form]


# ----------------------------------------------------------------------------------------------- French


def fr_np(np: NP, negated: bool = False) -> list[str]:
    """Tokens of a noun phrase; `negated`: direct object of a negated verb (un/une/des become de)."""
    if np.pronoun:
        return [PRONOUNS[np.pronoun][1]]
    if np.name:
        return [NAMES[np.name].fr]
    noun, pl = NOUNS[np.noun], np.plural
    words = [noun.fr_pl if pl else noun.fr]
    adj = ADJECTIVES[np.adj] if np.adj else None
    if adj and adj.pre:
        vowel_m_sg = adj.elided and noun.gender == "m" and not pl and starts_with_vowel(words[0])
        words.insert(0, adj.elided if vowel_m_sg else adj.form(noun.gender, pl))
    elif adj:
        words.append(adj.form(noun.gender, pl))
    if np.owner or np.det == "the":
        det = "les" if pl else "le" if noun.gender == "m" else "la"
    elif np.det == "a":
        indefinite = "des" if pl else "un" if noun.gender == "m" else "une"
        det = "de" if negated or (pl and adj and adj.pre) else indefinite
    else:
        _, m, f, plural = POSSESSIVES[np.det]
        # ma/ta/sa become mon/ton/son before a vowel: "mon école"
        det = plural if pl else m if noun.gender == "m" or starts_with_vowel(words[0]) else f
    return [det, *words, *(["de", *fr_np(np.owner)] if np.owner else [])]


def fr_tokens(s: Sentence) -> list[str]:
    if s.form == "where":
        be, subj = conjugate("être", s.subject.person), fr_np(s.subject)
        return ["où", f"{be}-{subj[0]}"] if s.subject.pronoun else ["où", be, *subj]  # "où es-tu"
    person = 2 if s.form == "who" else s.subject.person
    negated = s.form == "negative"
    if s.verb == "be":
        finite, rest = conjugate("être", person), [ADJECTIVES[s.adj].form(s.subject.gender, person >= 3)]
    else:
        verb = VERBS[s.verb]
        finite = conjugate(MODALS[s.modal] if s.modal else verb.fr, person)
        rest = [verb.fr] if s.modal else []
        if s.obj:
            rest += [*filter(None, [verb.prep]), *fr_np(s.obj, negated=negated and not verb.prep)]
    predicate = ["ne", finite, "pas", *rest] if negated else [finite, *rest]
    if s.form == "who":
        return ["qui", *predicate]
    head = {"question": ["est-ce", "que"], "what": ["que", "est-ce", "que"]}.get(s.form, [])
    return [*head, *fr_np(s.subject), *predicate]


def fr_join(tokens: list[str]) -> str:
    """Contractions (de le → du, à les → aux), then elision (le arbre → l'arbre, que il → qu'il)."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok, nxt = tokens[i], tokens[i + 1] if i + 1 < len(tokens) else ""
        after = tokens[i + 2] if i + 2 < len(tokens) else ""
        # "à le homme" is "à l'homme", not "au homme": an elided article does not contract.
        if (tok, nxt) in CONTRACTIONS and not (nxt == "le" and starts_with_vowel(after)):
            out.append(CONTRACTIONS[tok, nxt])
            i += 2
            continue
        out.append(tok[:-1] + "'" if tok in ELIDABLE and nxt and starts_with_vowel(nxt) else tok)
        i += 1
    return " ".join(out).replace("' ", "'")


def _finish(text: str, form: str) -> str:
    return text[0].upper() + text[1:] + ("?" if form in QUESTIONS else ".")


def render(s: Sentence) -> tuple[str, str]:
    """The (English, French) pair of a specification; the function tests build hand-made sentences with."""
    english = " ".join(w for w in en_words(s) if w)
    return _finish(english, s.form), _finish(fr_join(fr_tokens(s)), s.form)


def adjective_noun_pairs(s: Sentence) -> set[tuple[str, str]]:
    """(adjective, noun) combinations in a sentence, attributive ("the white house") or predicative
    ("the house is white")."""
    pairs = {(np.adj, np.noun) for np in (s.subject, s.obj) if np and np.adj and np.noun}
    if s.verb == "be" and s.adj and s.subject.noun:
        pairs.add((s.adj, s.subject.noun))
    return pairs


# --------------------------------------------------------------------------------------------- sampling

_ADJS_FOR = {kind: [a for a, adj in ADJECTIVES.items() if kind in adj.kinds] for kind in "patwfdl"}
_NOUNS_OF = {kind: [n for n, noun in NOUNS.items() if noun.kind == kind] for kind in "patwfdl"}
_PEOPLE = [n for n, name in NAMES.items() if name.kind == "p"]
_WHAT_VERBS = [v for v, verb in VERBS.items() if not verb.prep and not verb.en_prep]
_WHO_VERBS = [v for v, verb in VERBS.items() if "p" in verb.subjects]
_DETS = ("my", "your", "his", "her", "our", "their")


def random_np(rng: random.Random, choices: list[str], pronouns: bool = False, indefinite: bool = True,
              owner: bool = True, adjective: bool = True) -> NP:
    """A noun phrase whose head is one of `choices` (noun or name keys), or a pronoun if allowed."""
    if pronouns and rng.random() < 0.25:
        return NP(pronoun=rng.choice(list(PRONOUNS)))
    key = rng.choice(choices)
    if key in NAMES:
        return NP(name=key)
    det = rng.choices(("the", "a", "poss", "owner"), weights=(5, 2 * indefinite, 2, owner))[0]
    adj = rng.choice(_ADJS_FOR[NOUNS[key].kind]) if adjective and rng.random() < 0.4 else None
    of = None
    if det == "owner":  # a person or animal, without adjective: "the boy's dog", "Marie's cat"
        of = random_np(rng, _NOUNS_OF["p"] + _NOUNS_OF["a"] + _PEOPLE, owner=False, adjective=False)
    return NP(key, rng.choice(_DETS) if det == "poss" else "the", rng.random() < 0.35, adj, of)


def _subject(rng: random.Random, kinds: str) -> NP:
    nouns = [n for k in kinds if k in _NOUNS_OF for n in _NOUNS_OF[k]]
    return random_np(rng, nouns + (_PEOPLE if "p" in kinds else []), pronouns="p" in kinds, indefinite=False)


def random_sentence(rng: random.Random) -> Sentence:
    form = rng.choices(FORMS, weights=(4, 3, 3, 1, 1, 1))[0]
    if form == "where" or (form in ("statement", "negative", "question") and rng.random() < 0.3):
        subject = _subject(rng, "patwfdl")
        adj = None if form == "where" else rng.choice(_ADJS_FOR[subject.kind])
        s = Sentence(form, subject, "be", adj=adj)
    else:
        verb_key = rng.choice(_WHAT_VERBS if form == "what" else _WHO_VERBS if form == "who" else list(VERBS))
        verb = VERBS[verb_key]
        subject = None if form == "who" else _subject(rng, verb.subjects)
        obj = None if form == "what" else random_np(rng, list(verb.objects),
                                                    indefinite=not (verb.generic or verb.prep))
        modal = rng.choice(tuple(MODALS)) if form not in ("what", "who") and rng.random() < 0.15 else None
        s = Sentence(form, subject, verb_key, obj, modal=modal)
    return _your_agrees(s)


def _your_agrees(s: Sentence) -> Sentence:
    """"your" is vous's votre/vos when the subject is "you all" (so English "your" stays unambiguous)."""
    if not (s.subject and s.subject.pronoun == "you all"):
        return s

    def fix(np: NP | None) -> NP | None:
        if np is None:
            return None
        return replace(np, det="yourpl" if np.det == "your" else np.det, owner=fix(np.owner))

    return replace(s, subject=fix(s.subject), obj=fix(s.obj))


def sentence_with_pair(rng: random.Random, pair: tuple[str, str]) -> Sentence:
    """A random sentence made to contain the (adjective, noun) `pair`, in a slot where the noun fits."""
    adj, noun = pair
    while True:
        s = random_sentence(rng)
        slots = []
        if s.subject and s.subject.noun and NOUNS[s.subject.noun].kind == NOUNS[noun].kind:
            slots.append("subject")
        if s.obj and s.obj.noun and noun in VERBS[s.verb].objects:
            slots.append("obj")
        if not slots:
            continue
        slot = rng.choice(slots)
        np = replace(getattr(s, slot), noun=noun, adj=adj)
        if slot == "subject" and s.verb == "be" and s.adj and (s.adj == adj or rng.random() < 0.5):
            return replace(s, subject=replace(np, adj=None), adj=adj)  # predicative: "the house is white"
        return replace(s, **{slot: np})


def random_pair(rng: random.Random | int | None = None) -> tuple[str, str]:
    """One random (English, French) pair; `rng` may be a seed."""
    return render(random_sentence(rng if isinstance(rng, random.Random) else random.Random(rng)))


def heldout_pairs(seed: int = 0, k: int = 20) -> list[tuple[str, str]]:
    """The (adjective, noun) pairs `generate_corpus(seed=seed, holdout_pairs=k)` keeps out of train/val/test."""
    valid = [(a, n) for n, noun in NOUNS.items() for a in _ADJS_FOR[noun.kind]]
    return sorted(random.Random(f"heldout-{seed}").sample(valid, k))


def _collect(n: int, sample, keep, label: str) -> list[tuple[str, str]]:
    """Up to `n` pairs with distinct English sides, in the order they were drawn."""
    pairs: dict[str, str] = {}
    progress = None
    if n > PROGRESS_ABOVE:
        from rich.progress import Progress

        progress = Progress(transient=True)
    with progress or nullcontext():
        task = progress.add_task(label, total=n) if progress else None
        for _ in range(20 * n + 1000):  # bounded: the grammar has millions of sentences, but never loop forever
            if len(pairs) >= n:
                break
            s = sample()
            if keep(s):
                en, fr = render(s)
                pairs.setdefault(en, fr)
                if progress and len(pairs) % 1000 == 0:
                    progress.update(task, completed=len(pairs))
    return list(pairs.items())


def generate_corpus(n: int, seed: int = 0, holdout_pairs: int = 20) -> dict[str, list[tuple[str, str]]]:
    """`n` unique pairs split 80/10/10 into "train"/"val"/"test", plus a "compositional" split of n // 10
    pairs that each use one of `heldout_pairs(seed, holdout_pairs)`, (adjective, noun) combinations that
    no train/val/test sentence contains. Deterministic for a seed; splits are disjoint by English sentence."""
    rng = random.Random(seed)
    held = heldout_pairs(seed, holdout_pairs)
    held_set = set(held)
    main = _collect(n, lambda: random_sentence(rng), lambda s: not adjective_noun_pairs(s) & held_set,
                    "generating sentences")
    compositional = []
    if held:
        compositional = _collect(n // 10, lambda: sentence_with_pair(rng, rng.choice(held)), lambda s: True,
                                 "generating compositional sentences")
    n_eval = len(main) // 10
    return {
        "train": main[2 * n_eval:],
        "val": main[n_eval:2 * n_eval],
        "test": main[:n_eval],
        "compositional": compositional,
    }
