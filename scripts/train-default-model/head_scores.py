"""Per-head attention scores, defined exactly as the extension computes them.

For one head on one sequence whose position 0 is BOS, with pattern A [query, key]:
  previous-token score  mean over q = 1..n-1 of A[q, q-1]
  first-token score     mean over q = 1..n-1 of A[q, 0]       (attention sink)
  self score            mean over q = 1..n-1 of A[q, q]
  induction score       on [BOS] + R + R, R = m random non-special tokens:
                        mean over q = m+1..2m of A[q, q-m+1]
                        (from the second copy to the token after the first occurrence)
Scores are then averaged over several sequences.
"""

from __future__ import annotations

import numpy as np
import torch

from model import GPT

TEXT_WINDOWS = 32  # each the model's full context: BOS + n_positions - 1 held-out tokens
INDUCTION_LENGTH = 32  # m
INDUCTION_SEQUENCES = 8
INDUCTION_SEED = 7


@torch.no_grad()
def patterns(model: GPT, batch: torch.Tensor) -> torch.Tensor:
    """[batch, layer, head, query, key] attention patterns for unpadded rows."""
    cache: dict = {}
    model(batch, torch.ones_like(batch), cache)
    return torch.stack([cache[f"blocks.{layer}.attn.hook_pattern"] for layer in range(model.cfg.n_layer)], dim=1)


def diagonal_score(pattern: torch.Tensor, queries: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """Mean over the given (query, key) pairs and over the batch -> [layer, head]."""
    return pattern[..., queries, keys].mean(dim=(0, -1))


def text_scores(model: GPT, valid_stream: np.ndarray, bos_id: int,
                windows: int = TEXT_WINDOWS) -> dict[str, list[list[float]]]:
    """Previous-token, first-token and self scores on evenly spaced held-out windows."""
    length = model.cfg.n_positions
    body = length - 1
    starts = np.linspace(0, len(valid_stream) - body, windows).astype(np.int64)
    batch = torch.full((windows, length), bos_id, dtype=torch.int64)
    for row, start in zip(batch, starts):
        row[1:] = torch.from_numpy(valid_stream[start:start + body])
    a = patterns(model, batch)
    q = torch.arange(1, length)
    return {
        "previous_token": diagonal_score(a, q, q - 1).tolist(),
        "first_token": diagonal_score(a, q, torch.zeros_like(q)).tolist(),
        "self": diagonal_score(a, q, q).tolist(),
    }


def repeated_random_tokens(m: int, count: int, seed: int, bos_id: int) -> torch.Tensor:
    """[count, 1 + 2m] rows of BOS + R + R with R drawn from the non-special ids."""
    generator = torch.Generator().manual_seed(seed)
    r = torch.randint(0, bos_id, (count, m), generator=generator)  # bos_id is the only special id, and the last
    return torch.cat([torch.full((count, 1), bos_id), r, r], dim=1)


def induction_scores(model: GPT, bos_id: int) -> list[list[float]]:
    m = INDUCTION_LENGTH
    a = patterns(model, repeated_random_tokens(m, INDUCTION_SEQUENCES, INDUCTION_SEED, bos_id))
    q = torch.arange(m + 1, 2 * m + 1)
    return diagonal_score(a, q, q - m + 1).tolist()


def all_scores(model: GPT, valid_stream: np.ndarray, bos_id: int) -> dict:
    return {
        **text_scores(model, valid_stream, bos_id),
        "induction": induction_scores(model, bos_id),
        "settings": {
            "text_windows": TEXT_WINDOWS, "text_window_length": model.cfg.n_positions,
            "text_source": "held-out files, evenly spaced windows, BOS prepended",
            "induction_m": INDUCTION_LENGTH, "induction_sequences": INDUCTION_SEQUENCES,
            "induction_seed": INDUCTION_SEED,
        },
    }


def best_head(scores: list[list[float]]) -> tuple[int, int, float]:
    """(layer, head, score) of the highest-scoring head."""
    return max(((layer, head, s) for layer, row in enumerate(scores) for head, s in enumerate(row)),
               key=lambda t: t[2])
