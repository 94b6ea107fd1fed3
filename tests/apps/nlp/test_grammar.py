import random
import re
import time

import pytest

from apps.nlp.grammar import (
    NP,
    Sentence,
    generate_corpus,
    heldout_pairs,
    random_pair,
    random_sentence,
    render,
)
from apps.nlp.morphology import conjugate
from apps.nlp.verbs import VERBS
from apps.nlp.vocabulary import ADJECTIVES, NOUNS

S = Sentence
THE_CAT = NP("cat")

# (specification, English, French): one or more cases per phenomenon of the grammar.
CASES = [
    # copula, agreement, negation, do-support
    (S("statement", THE_CAT, adj="big"), "The cat is big.", "Le chat est grand."),
    (S("negative", NP("cat", plural=True), adj="small"), "The cats are not small.", "Les chats ne sont pas petits."),
    (S("question", NP(pronoun="you"), "see", NP("house", adj="white")),
     "Do you see the white house?", "Est-ce que tu vois la maison blanche?"),
    (S("statement", NP("woman", plural=True, adj="beautiful"), adj="happy"),
     "The beautiful women are happy.", "Les belles femmes sont heureuses."),
    (S("statement", NP("horse", plural=True, adj="beautiful"), adj="brown"),
     "The beautiful horses are brown.", "Les beaux chevaux sont marron."),
    (S("statement", NP("woman", plural=True, adj="old"), adj="tired"),
     "The old women are tired.", "Les vieilles femmes sont fatiguées."),
    (S("statement", NP(pronoun="she"), adj="kind"), "She is kind.", "Elle est gentille."),
    (S("statement", NP(pronoun="we"), adj="tired"), "We are tired.", "Nous sommes fatigués."),
    (S("statement", NP("cow", plural=True, adj="white"), adj="big"), "The white cows are big.",
     "Les vaches blanches sont grandes."),
    # preposed adjectives, bel/vieil/nouvel, de before a preposed plural adjective
    (S("statement", NP(pronoun="I"), "see", NP("tree", "a", adj="beautiful")),
     "I see a beautiful tree.", "Je vois un bel arbre."),
    (S("statement", NP("man", adj="old"), "eat", NP("apple", "a")),
     "The old man eats an apple.", "Le vieil homme mange une pomme."),
    (S("statement", NP(pronoun="I"), "see", NP("cat", "a", plural=True, adj="big")),
     "I see big cats.", "Je vois de grands chats."),
    (S("statement", NP(pronoun="I"), "see", NP("cat", "a", plural=True)), "I see cats.", "Je vois des chats."),
    # elision, mute and aspirated h
    (S("statement", NP(pronoun="I"), "like", NP("tree")), "I like the tree.", "J'aime l'arbre."),
    (S("negative", NP(pronoun="I"), "like", NP("dog")), "I do not like the dog.", "Je n'aime pas le chien."),
    (S("statement", NP(pronoun="I"), "see", NP("man")), "I see the man.", "Je vois l'homme."),
    (S("statement", NP(pronoun="I"), "see", NP("owl")), "I see the owl.", "Je vois le hibou."),
    (S("statement", NP(pronoun="I"), "listen", NP("song")), "I listen to the song.", "J'écoute la chanson."),
    # negated indefinite object: de / d'
    (S("negative", NP(pronoun="I"), "have", NP("cat", "a")), "I do not have a cat.", "Je n'ai pas de chat."),
    (S("negative", NP(pronoun="he"), "eat", NP("egg", "a", plural=True)),
     "He does not eat eggs.", "Il ne mange pas d'œufs."),
    (S("negative", NP(pronoun="I"), "eat", NP("apple", "a"), modal="want"),
     "I do not want to eat an apple.", "Je ne veux pas manger de pomme."),
    # contractions and genitives
    (S("statement", NP(pronoun="we"), "go", NP("market")), "We go to the market.", "Nous allons au marché."),
    (S("statement", NP(pronoun="they"), "go", NP("shop", plural=True)),
     "They go to the shops.", "Ils vont aux magasins."),
    (S("statement", NP(pronoun="she"), "go", NP("school")), "She goes to the school.", "Elle va à l'école."),
    (S("statement", NP(pronoun="I"), "speak", NP("boy", plural=True)),
     "I speak to the boys.", "Je parle aux garçons."),
    (S("statement", NP(pronoun="we"), "talk", NP("film")), "We talk about the film.", "Nous parlons du film."),
    (S("statement", NP(pronoun="you"), "come", NP(name="Amsterdam")),
     "You come from Amsterdam.", "Tu viens d'Amsterdam."),
    (S("statement", NP(pronoun="he"), "come", NP(name="London")), "He comes from London.", "Il vient de Londres."),
    (S("statement", NP("dog", owner=NP("man")), adj="white"),
     "The man's dog is white.", "Le chien de l'homme est blanc."),
    (S("statement", NP("cat", owner=NP("boy")), "see", NP("bird", owner=NP("girl", plural=True))),
     "The boy's cat sees the girls' bird.", "Le chat du garçon voit l'oiseau des filles."),
    (S("statement", NP("ball", owner=NP("child", plural=True)), adj="red"),
     "The children's ball is red.", "Le ballon des enfants est rouge."),
    (S("statement", NP("cat", owner=NP(name="Anne")), adj="black"), "Anne's cat is black.", "Le chat d'Anne est noir."),
    # possessives
    (S("statement", NP("friend", "my"), "see", NP("school", "my")),
     "My friend sees my school.", "Mon ami voit mon école."),
    (S("statement", NP("school", "my", adj="small"), adj="new"),
     "My small school is new.", "Ma petite école est nouvelle."),
    (S("statement", NP("cat", "your", plural=True), adj="black"), "Your cats are black.", "Tes chats sont noirs."),
    (S("statement", NP(pronoun="she"), "wash", NP("car", "his")), "She washes his car.", "Elle lave sa voiture."),
    (S("statement", NP(pronoun="he"), "wash", NP("dog", "her")), "He washes her dog.", "Il lave son chien."),
    (S("statement", NP(pronoun="you all"), "see", NP("dog", "yourpl")),
     "You all see your dog.", "Vous voyez votre chien."),
    (S("statement", NP("house", "our", plural=True), adj="big"), "Our houses are big.", "Nos maisons sont grandes."),
    (S("statement", NP("car", "their", plural=True), adj="red"), "Their cars are red.", "Leurs voitures sont rouges."),
    # regular and irregular conjugation, modals
    (S("statement", NP(pronoun="we"), "eat", NP("bread")), "We eat the bread.", "Nous mangeons le pain."),
    (S("statement", NP(pronoun="we"), "begin", NP("book")), "We begin the book.", "Nous commençons le livre."),
    (S("statement", NP(pronoun="they"), "make", NP("cake", "a")), "They make a cake.", "Ils font un gâteau."),
    (S("statement", NP(pronoun="we"), "take", NP("train")), "We take the train.", "Nous prenons le train."),
    (S("statement", NP(pronoun="you all"), "want", NP("car", "a", adj="new")),
     "You all want a new car.", "Vous voulez une nouvelle voiture."),
    (S("statement", NP(pronoun="they"), "have", NP("hen", "a", adj="white")),
     "They have a white hen.", "Ils ont une poule blanche."),
    (S("negative", NP(pronoun="he"), "see", NP("hotel", adj="new"), modal="can"),
     "He cannot see the new hotel.", "Il ne peut pas voir le nouvel hôtel."),
    (S("question", NP(pronoun="you"), "eat", NP("cake"), modal="want"),
     "Do you want to eat the cake?", "Est-ce que tu veux manger le gâteau?"),
    (S("statement", NP("child", plural=True), "drink", NP("juice")),
     "The children drink the juice.", "Les enfants boivent le jus."),
    # questions
    (S("question", NP(name="Anne"), adj="happy"), "Is Anne happy?", "Est-ce qu'Anne est heureuse?"),
    (S("question", NP(pronoun="he"), "see", NP("horse", plural=True)),
     "Does he see the horses?", "Est-ce qu'il voit les chevaux?"),
    (S("where", THE_CAT), "Where is the cat?", "Où est le chat?"),
    (S("where", NP("cat", plural=True)), "Where are the cats?", "Où sont les chats?"),
    (S("where", NP(pronoun="you")), "Where are you?", "Où es-tu?"),
    (S("where", NP(pronoun="I")), "Where am I?", "Où suis-je?"),
    (S("what", NP("boy"), "eat"), "What does the boy eat?", "Qu'est-ce que le garçon mange?"),
    (S("what", NP(pronoun="they"), "want"), "What do they want?", "Qu'est-ce qu'ils veulent?"),
    (S("who", None, "see", NP("dog", plural=True)), "Who sees the dogs?", "Qui voit les chiens?"),
]


@pytest.mark.parametrize(("sentence", "english", "french"), CASES, ids=[c[1] for c in CASES])
def test_hand_built_translations(sentence, english, french):
    assert render(sentence) == (english, french)


def test_conjugation():
    assert [conjugate("manger", p) for p in range(6)] == "mange manges mange mangeons mangez mangent".split()
    assert [conjugate("finir", p) for p in range(6)] == "finis finis finit finissons finissez finissent".split()
    assert [conjugate("vendre", p) for p in range(6)] == "vends vends vend vendons vendez vendent".split()
    assert conjugate("être", 5) == "sont" and conjugate("aller", 0) == "vais"


def test_adjective_forms():
    assert ADJECTIVES["big"].forms == ("grand", "grande", "grands", "grandes")
    assert ADJECTIVES["beautiful"].forms == ("beau", "belle", "beaux", "belles")
    assert ADJECTIVES["white"].forms == ("blanc", "blanche", "blancs", "blanches")


def test_random_sentences_are_well_formed():
    rng = random.Random(1)
    for _ in range(2000):
        en, fr = render(random_sentence(rng))
        for text in (en, fr):
            assert text[0].isupper() and text[-1] in ".?" and "  " not in text
        assert not re.search(r"\b(de le|de les|à le|à les|je [aeiouéè]|ne [aeiouéè]|que [aeiouéè])\b", fr), fr
    assert random_pair(3) == random_pair(3)


def test_vocabulary_size():
    total = len(NOUNS) + len(ADJECTIVES) + len(VERBS)
    assert total > 200 and all(verb.objects for verb in VERBS.values())


@pytest.fixture(scope="module")
def corpus():
    return generate_corpus(3000, seed=0)


def test_splits_sizes_and_determinism(corpus):
    assert {k: len(v) for k, v in corpus.items()} == {"train": 2400, "val": 300, "test": 300, "compositional": 300}
    assert generate_corpus(3000, seed=0) == corpus
    assert generate_corpus(3000, seed=1)["train"] != corpus["train"]


def test_splits_disjoint_by_english(corpus):
    sets = {name: [en for en, _ in pairs] for name, pairs in corpus.items()}
    for name, english in sets.items():
        assert len(set(english)) == len(english), f"duplicates in {name}"
    names = list(sets)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not set(sets[a]) & set(sets[b]), (a, b)


def _uses_pair(english: str, adj: str, noun: str) -> bool:
    """Text-level check, independent of the generator: attributive "white house(s)" or predicative
    "house(s) is/are (not) white" / "Is the house white?"."""
    n = NOUNS[noun]
    return bool(re.search(rf"\b(?:{n.en}|{n.en_pl}) (?:(?:is|are) )?(?:not )?{adj}\b", english)
                or re.search(rf"\b{adj} (?:{n.en}|{n.en_pl})\b", english))


def test_compositional_holdout(corpus):
    held = heldout_pairs(0, 20)
    assert len(held) == 20 and held == heldout_pairs(0, 20) and held != heldout_pairs(1, 20)
    for name in ("train", "val", "test"):
        for en, _ in corpus[name]:
            assert not any(_uses_pair(en, a, n) for a, n in held), (name, en)
    for en, _ in corpus["compositional"]:
        assert any(_uses_pair(en, a, n) for a, n in held), en
    # every held-out pair actually shows up in the compositional split
    assert all(any(_uses_pair(en, a, n) for en, _ in corpus["compositional"]) for a, n in held)


def test_twenty_thousand_sentences_are_fast():
    start = time.perf_counter()
    out = generate_corpus(20_000, seed=5)
    assert len(out["train"]) + len(out["val"]) + len(out["test"]) == 20_000
    assert time.perf_counter() - start < 5
