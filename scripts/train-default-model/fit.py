"""Training loop and held-out evaluation.

Documents are concatenated into one token stream, each preceded by <|endoftext|>.
A training example is a random window of that stream with <|endoftext|> prepended
as BOS, so position 0 always holds BOS, exactly as in the extension at run time.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from model import GPT


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 1100
    batch_size: int = 8
    peak_lr: float = 2e-3
    min_lr_fraction: float = 0.1
    warmup_steps: int = 100
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    seed: int = 1234
    log_every: int = 50


def token_stream(documents: list[list[int]], eot_id: int) -> np.ndarray:
    ids = np.empty(sum(len(d) + 1 for d in documents), dtype=np.int64)
    at = 0
    for doc in documents:
        ids[at] = eot_id
        ids[at + 1:at + 1 + len(doc)] = doc
        at += len(doc) + 1
    return ids


def windows(stream: np.ndarray, starts: np.ndarray, length: int, bos_id: int) -> torch.Tensor:
    """[len(starts), length] rows of BOS followed by length - 1 stream tokens."""
    rows = np.full((len(starts), length), bos_id, dtype=np.int64)
    for row, start in zip(rows, starts):
        row[1:] = stream[start:start + length - 1]
    return torch.from_numpy(rows)


def learning_rate(step: int, cfg: TrainConfig) -> float:
    """Linear warmup, then cosine decay to min_lr_fraction of the peak."""
    if step < cfg.warmup_steps:
        return cfg.peak_lr * (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
    cosine = 0.5 * (1 + math.cos(math.pi * progress))
    return cfg.peak_lr * (cfg.min_lr_fraction + (1 - cfg.min_lr_fraction) * cosine)


def make_optimizer(model: GPT, cfg: TrainConfig) -> torch.optim.AdamW:
    """Weight decay on matrices only; biases, LayerNorm gains and embeddings are
    left alone as in GPT-2 (the tied embedding is also the unembedding)."""
    def decays(name: str, p: torch.nn.Parameter) -> bool:
        return p.dim() == 2 and not name.startswith(("wte", "wpe"))

    decay = [p for n, p in model.named_parameters() if decays(n, p)]
    no_decay = [p for n, p in model.named_parameters() if not decays(n, p)]
    return torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}],
                             lr=cfg.peak_lr, betas=(0.9, 0.95))


def next_token_loss(model: GPT, batch: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of predicting batch[:, 1:] from the prefix."""
    logits = model(batch[:, :-1], torch.ones_like(batch[:, :-1]))
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))


def train(model: GPT, stream: np.ndarray, bos_id: int, cfg: TrainConfig, log) -> dict:
    """Train in place; returns a summary (steps, tokens, seconds, final training loss)."""
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    # One more than n_positions: the model sees n_positions inputs and predicts the last.
    length = model.cfg.n_positions + 1
    optimizer = make_optimizer(model, cfg)
    model.train()
    started, recent = time.time(), []
    for step in range(cfg.steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, cfg)
        starts = rng.integers(0, len(stream) - length, size=cfg.batch_size)
        loss = next_token_loss(model, windows(stream, starts, length, bos_id))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        optimizer.step()
        recent.append(loss.item())
        if (step + 1) % cfg.log_every == 0 or step + 1 == cfg.steps:
            elapsed = time.time() - started
            log(f"step {step + 1}/{cfg.steps}  loss {np.mean(recent):.3f}  lr {learning_rate(step, cfg):.2e}  "
                f"{elapsed:.0f}s  ({(step + 1) * cfg.batch_size * (length - 1) / elapsed:.0f} tokens/s)")
            final_loss, recent = float(np.mean(recent)), []
    model.eval()
    return {"steps": cfg.steps, "batch_size": cfg.batch_size, "sequence_length": length - 1,
            "tokens": cfg.steps * cfg.batch_size * (length - 1), "seconds": time.time() - started,
            "final_train_loss": final_loss}


@torch.no_grad()
def evaluate(model: GPT, documents: list[list[int]], bos_id: int, batch_size: int = 8) -> dict:
    """Loss over every token of the held-out documents, each document cut into
    consecutive chunks that start with BOS (no context carried between chunks)."""
    chunk = model.cfg.n_positions - 1
    rows = [[bos_id] + doc[i:i + chunk] for doc in documents for i in range(0, len(doc), chunk)]
    total, count = 0.0, 0
    for i in range(0, len(rows), batch_size):
        group = rows[i:i + batch_size]
        width = max(len(r) for r in group)
        ids = torch.zeros(len(group), width, dtype=torch.int64)
        mask = torch.zeros_like(ids)
        for j, r in enumerate(group):  # right padding: positions stay 0, 1, 2, ...
            ids[j, :len(r)] = torch.tensor(r)
            mask[j, :len(r)] = 1
        logits = model(ids[:, :-1], mask[:, :-1])
        targets = ids[:, 1:].masked_fill(mask[:, 1:] == 0, -100)
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                 ignore_index=-100, reduction="sum").item()
        count += int(mask[:, 1:].sum())
    loss = total / count
    return {"loss": loss, "perplexity": math.exp(loss), "tokens": count}
