"""One subword vocabulary shared by English and French: byte-level BPE trained with Hugging Face `tokenizers`.

Byte-level, so that every string round-trips exactly (accents, guillemets, apostrophes, unseen characters) and
nothing is ever <unk>. Special ids match the zoo's seq2seq defaults: pad 0, bos 1, eos 2.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

from zoo.errors import InputError
from zoo.trust.reader import read_text
from zoo.trust.runfolder import write_text

PAD, BOS, EOS = "<pad>", "<s>", "</s>"
SPECIALS = [PAD, BOS, EOS]
FILENAME = "tokenizer.json"
MAX_TOKENIZER_BYTES = 64 * 2**20  # a 32,000-token BPE tokenizer is about 2 MB


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
    return write_text(Path(directory) / FILENAME, tok.to_str(pretty=True))  # through the run folder: no link followed


def load_tokenizer(directory: str | Path) -> Tokenizer:
    """The ``tokenizer.json`` of a model folder: bounded, no link out of the folder (zoo.trust.reader), and a file
    the tokenizers library cannot read is an ``InputError`` naming it."""
    path = Path(directory) / FILENAME
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: a translation model folder keeps its tokenizer there")
    return tokenizer_from_str(read_text(path, root=directory, max_bytes=MAX_TOKENIZER_BYTES), str(path))


def tokenizer_from_str(text: str, source: str) -> Tokenizer:
    """A tokenizer from its JSON text (a file's, or the one a checkpoint carries), its vocabulary checked to hold
    our special tokens; anything else is one ``InputError`` naming ``source``."""
    if not isinstance(text, str):
        raise InputError(f"{source}: the tokenizer is a {type(text).__name__}, not its JSON text")
    if len(text) > MAX_TOKENIZER_BYTES:
        raise InputError(f"{source}: a tokenizer of {len(text):,} characters, over the {MAX_TOKENIZER_BYTES:,} "
                         "one may have")
    try:
        tok = Tokenizer.from_str(text)
    except Exception as e:  # the Rust side raises a bare Exception for a malformed file
        raise InputError(f"{source}: not a valid tokenizer file ({' '.join(str(e).split())[:200]})") from None
    missing = [t for t in SPECIALS if tok.token_to_id(t) is None]
    if missing:
        raise InputError(f"{source}: the tokenizer has no {', '.join(missing)} token (not one `zoo nlp fit` wrote)")
    return tok


def check_vocabulary(tok: Tokenizer, model, source: str) -> None:
    """The tokenizer's ids must all be ids of ``model`` (a model folder's tokenizer.json may be any file): a larger
    vocabulary is one line naming ``source`` here, not an error on the first sentence with a rare word."""
    vocab = getattr(model, "src_vocab", None)
    if isinstance(vocab, int) and tok.get_vocab_size() > vocab:
        raise InputError(f"{source}: the tokenizer has {tok.get_vocab_size():,} tokens but the model knows "
                         f"{vocab:,}; they are not from the same run")
