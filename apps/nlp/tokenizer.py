"""One subword vocabulary shared by English and French: byte-level BPE trained with Hugging Face `tokenizers`.

Byte-level, so that every string round-trips exactly (accents, guillemets, apostrophes, unseen characters) and
nothing is ever <unk>. Special ids match the zoo's seq2seq defaults: pad 0, bos 1, eos 2.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

PAD, BOS, EOS = "<pad>", "<s>", "</s>"
SPECIALS = [PAD, BOS, EOS]
FILENAME = "tokenizer.json"


def train_tokenizer(texts: Iterable[str], vocab_size: int = 8000, min_frequency: int = 2) -> Tokenizer:
    """Train on ``texts`` (both languages of the training split only: no peeking at the test sentences)."""
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()  # one code point per accented letter, whatever the source file used
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer)
    for i, special in enumerate(SPECIALS):
        assert tok.token_to_id(special) == i, "special tokens must take ids 0, 1, 2"
    return tok


def encode(tok: Tokenizer, texts: list[str]) -> list[list[int]]:
    """Token ids without BOS/EOS (the data pipeline adds them where each side needs them)."""
    return [e.ids for e in tok.encode_batch(texts)]


def decode(tok: Tokenizer, ids: list[list[int]]) -> list[str]:
    return tok.decode_batch(ids, skip_special_tokens=True)


def save_tokenizer(tok: Tokenizer, directory: str | Path) -> Path:
    path = Path(directory) / FILENAME
    path.parent.mkdir(parents=True, exist_ok=True)
    tok.save(str(path))
    return path


def load_tokenizer(directory: str | Path) -> Tokenizer:
    path = Path(directory) / FILENAME
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: a translation model folder keeps its tokenizer there")
    try:
        return Tokenizer.from_file(str(path))
    except Exception as e:  # the Rust side raises its own exception type for a malformed file
        raise ValueError(f"{path} is not a valid tokenizer file: {e}") from e
