"""The shared BPE tokenizer round-trips accents and punctuation, never emits <unk>, and saves/loads."""

import pytest

from apps.nlp.tokenizer import decode, encode, load_tokenizer, save_tokenizer, train_tokenizer

TRAIN = ["the cat is big .", "le chat est grand.", "Où est l'hôpital ?", "Ils ne mangent pas de pommes.",
         "« Ça va », dit-elle — très bien !", "I don't know what you're saying."] * 20


def test_round_trip_of_accented_text_and_unseen_characters(tmp_path):
    tok = train_tokenizer(TRAIN, vocab_size=400, min_frequency=1)
    samples = ["Où est l'hôpital ?", "« Ça va », dit-elle — très bien !", "Noël à l'œil: déjà vu… Ï ß ñ 中文",
               "  two  spaces ", "L'été, c'était génial."]
    ids = encode(tok, samples)
    assert decode(tok, ids) == samples
    assert all(i > 2 for row in ids for i in row)  # specials never appear inside a sentence
    assert [tok.token_to_id(t) for t in ("<pad>", "<s>", "</s>")] == [0, 1, 2]
    save_tokenizer(tok, tmp_path)
    again = load_tokenizer(tmp_path)
    assert encode(again, samples) == ids


def test_nfc_normalisation_merges_decomposed_accents():
    tok = train_tokenizer(TRAIN, vocab_size=400, min_frequency=1)
    assert encode(tok, ["e\u0301te\u0301"]) == encode(tok, ["été"])


def test_bad_tokenizer_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="tokenizer.json is missing"):
        load_tokenizer(tmp_path)
    (tmp_path / "tokenizer.json").write_text("{not json")
    with pytest.raises(ValueError, match="not a valid tokenizer file"):
        load_tokenizer(tmp_path)
