"""Byte-level BPE in the style of GPT-2: training, encoding and the tokenizer.json export.

Text is split by GPT-2's pre-tokenization regex, each piece is turned into bytes, and
merges are learned over those byte sequences. The saved files follow the Hugging Face
`tokenizers` format so any compatible library (Python `tokenizers`, transformers.js,
@huggingface/tokenizers) encodes text exactly as `Bpe.encode` does here.
"""

from __future__ import annotations

import heapq
import json
from collections import Counter
from pathlib import Path

import regex

# GPT-2's pre-tokenizer: contractions, letter runs, digit runs, punctuation runs (each
# optionally led by one space) and whitespace that is not followed by a word.
PRETOKENIZE = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")

END_OF_TEXT = "<|endoftext|>"


def bytes_to_unicode() -> list[str]:
    """GPT-2's reversible map from each byte to a printable character, so that every
    token is a plain string without whitespace or control characters. Index = byte."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) \
        + list(range(ord("®"), ord("ÿ") + 1))
    chars = {b: chr(b) for b in printable}
    shifted = 0
    for b in range(256):
        if b not in chars:
            chars[b] = chr(256 + shifted)
            shifted += 1
    return [chars[b] for b in range(256)]


BYTE_CHARS = bytes_to_unicode()


def initial_byte_order() -> list[int]:
    """Byte ids 0..255 in GPT-2's order (printable characters first), so the first 256
    vocabulary entries read the same as GPT-2's."""
    printable = [b for b in range(256) if BYTE_CHARS[b] == chr(b)]
    return printable + [b for b in range(256) if BYTE_CHARS[b] != chr(b)]


class Bpe:
    """A trained vocabulary: token id -> bytes, and merge rank -> (left, right, merged)."""

    def __init__(self, token_bytes: list[bytes], merges: list[tuple[int, int]]):
        self.token_bytes = token_bytes  # ids 0..255 are single bytes, then one per merge
        self.merges = merges
        byte_to_id = {token_bytes[i][0]: i for i in range(256)}
        self.byte_to_id = [byte_to_id[b] for b in range(256)]
        self.ranks = {pair: rank for rank, pair in enumerate(merges)}
        self.eot_id = len(token_bytes)
        self.vocab_size = len(token_bytes) + 1
        self._cache: dict[str, list[int]] = {}

    def encode_piece(self, piece: str) -> list[int]:
        """Apply merges lowest rank first, as GPT-2 does, to one pre-tokenized piece."""
        cached = self._cache.get(piece)
        if cached is not None:
            return cached
        ids = [self.byte_to_id[b] for b in piece.encode("utf-8")]
        while len(ids) > 1:
            best = min(range(len(ids) - 1), key=lambda i: self.ranks.get((ids[i], ids[i + 1]), 1 << 30))
            pair = (ids[best], ids[best + 1])
            rank = self.ranks.get(pair)
            if rank is None:
                break
            merged, out, i = 256 + rank, [], 0
            while i < len(ids):
                if i < len(ids) - 1 and (ids[i], ids[i + 1]) == pair:
                    out.append(merged)
                    i += 2
                else:
                    out.append(ids[i])
                    i += 1
            ids = out
        self._cache[piece] = ids
        return ids

    def encode(self, text: str) -> list[int]:
        """Ids of `text` without the BOS token (the post-processor adds that)."""
        return [i for piece in PRETOKENIZE.findall(text) for i in self.encode_piece(piece)]

    def decode(self, ids: list[int]) -> str:
        return b"".join(self.token_bytes[i] for i in ids if i != self.eot_id).decode("utf-8", "replace")

    def token_string(self, token_id: int) -> str:
        return "".join(BYTE_CHARS[b] for b in self.token_bytes[token_id])

    def save(self, folder: Path, model_max_length: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "tokenizer.json").write_text(json.dumps(self.tokenizer_json(), ensure_ascii=False), "utf-8")
        (folder / "tokenizer_config.json").write_text(
            json.dumps(tokenizer_config(model_max_length), indent=2) + "\n", "utf-8")

    def tokenizer_json(self) -> dict:
        vocab = {self.token_string(i): i for i in range(len(self.token_bytes))}
        eot = {"id": self.eot_id, "content": END_OF_TEXT, "single_word": False, "lstrip": False,
               "rstrip": False, "normalized": False, "special": True}
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [eot],
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                              "use_regex": True},
            # Every sequence starts with <|endoftext|> as BOS, like TransformerLens'
            # prepend_bos: position 0 gives heads a place to park attention.
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": END_OF_TEXT, "type_id": 0}},
                           {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": END_OF_TEXT, "type_id": 0}},
                         {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": END_OF_TEXT, "type_id": 1}},
                         {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {END_OF_TEXT: {"id": END_OF_TEXT, "ids": [self.eot_id],
                                                 "tokens": [END_OF_TEXT]}},
            },
            "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                        "use_regex": True},
            "model": {
                "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                "ignore_merges": False, "vocab": vocab,
                "merges": [f"{self.token_string(a)} {self.token_string(b)}" for a, b in self.merges],
            },
        }


def tokenizer_config(model_max_length: int) -> dict:
    return {
        "tokenizer_class": "GPT2Tokenizer",
        "bos_token": END_OF_TEXT,
        "eos_token": END_OF_TEXT,
        "unk_token": END_OF_TEXT,
        "add_bos_token": True,
        "add_prefix_space": False,
        # The default (true) rewrites " ." to "." on decode, which breaks round trips.
        "clean_up_tokenization_spaces": False,
        "model_max_length": model_max_length,
    }


def train(texts: list[str], vocab_size: int) -> Bpe:
    """Learn `vocab_size - 257` merges (256 byte tokens and one special token are fixed).

    Works on the table of distinct pre-tokenized pieces with their frequencies. Pair
    counts are kept up to date incrementally: a merge only revisits the pieces that
    contain the merged pair, found through an index from pair to pieces. The next
    merge comes from a max-heap with lazy deletion (stale entries are skipped).
    Ties go to the smallest (left id, right id), which keeps training deterministic.
    """
    piece_counts = Counter(piece for text in texts for piece in PRETOKENIZE.findall(text))
    order = initial_byte_order()
    token_bytes = [bytes([b]) for b in order]
    byte_to_id = {b: i for i, b in enumerate(order)}
    words = [[byte_to_id[b] for b in piece.encode("utf-8")] for piece in piece_counts]
    freqs = list(piece_counts.values())

    pair_counts: Counter[tuple[int, int]] = Counter()
    pair_words: dict[tuple[int, int], set[int]] = {}
    for w, (word, freq) in enumerate(zip(words, freqs)):
        for pair in zip(word, word[1:]):
            pair_counts[pair] += freq
            pair_words.setdefault(pair, set()).add(w)
    heap = [(-count, pair) for pair, count in pair_counts.items()]
    heapq.heapify(heap)

    merges: list[tuple[int, int]] = []
    while len(token_bytes) + 1 < vocab_size and heap:
        negative_count, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -negative_count or negative_count == 0:
            continue  # stale heap entry
        new_id = len(token_bytes)
        token_bytes.append(token_bytes[pair[0]] + token_bytes[pair[1]])
        merges.append(pair)
        changed: set[tuple[int, int]] = set()
        for w in pair_words.pop(pair):
            word, freq = words[w], freqs[w]
            for old in zip(word, word[1:]):
                pair_counts[old] -= freq
                changed.add(old)
            words[w] = word = merge_pair(word, pair, new_id)
            for new in zip(word, word[1:]):
                pair_counts[new] += freq
                pair_words.setdefault(new, set()).add(w)
                changed.add(new)
        del pair_counts[pair]
        for p in changed:
            if p != pair and pair_counts[p] > 0:
                heapq.heappush(heap, (-pair_counts[p], p))
    return Bpe(token_bytes, merges)


def merge_pair(word: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    out, i = [], 0
    while i < len(word):
        if i < len(word) - 1 and word[i] == pair[0] and word[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return out


def load(folder: Path) -> Bpe:
    """Read back a tokenizer.json written by `Bpe.save`."""
    model = json.loads((folder / "tokenizer.json").read_text("utf-8"))["model"]
    char_to_byte = {c: b for b, c in enumerate(BYTE_CHARS)}
    by_id = sorted((i, token) for token, i in model["vocab"].items())
    token_bytes = [bytes(char_to_byte[c] for c in token) for _, token in by_id]
    ids = {token: i for i, token in by_id}
    merges = [tuple(ids[part] for part in merge.split(" ")) for merge in model["merges"]]
    return Bpe(token_bytes, merges)
