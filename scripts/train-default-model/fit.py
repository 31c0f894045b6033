"""Training loop and held-out evaluation.

Documents are concatenated into one token stream, each preceded by <|endoftext|>.
A training example is a random window of that stream with <|endoftext|> prepended
as BOS, so position 0 always holds BOS, exactly as in the extension at run time.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from model import GPT


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 9000
    # Small batches: on two cores, more updates per token form the heads sooner.
    tokens_per_step: int = 1024
    # Most steps use short windows: attention costs grow with length and early learning
    # (bigrams, previous-token heads) needs little context. The last steps use the full
    # context, starting from tiled position embeddings (see `tile_position_embeddings`).
    short_length: int = 128
    full_length_from: float = 0.6  # fraction of the steps
    # Share of windows that are a segment followed by its own repetition. Copying from
    # context needs a sharp previous-token head feeding an induction head; on natural
    # text alone those circuits form only after far more tokens than a CPU run sees.
    repeat_fraction: float = 0.2
    # Windows of (p, q, p) triples (see `windows`): all of them for the first steps, then
    # a share. On natural text alone the previous-token heads stay diffuse (best score
    # about 0.3 after 9M tokens on two cores); the triples alone teach one sharp head
    # within a few hundred steps. Natural text at full learning rate wipes that head
    # out unless triples stay in the mix (measured: it did with 5%).
    triples_first_steps: int = 600
    triples_fraction: float = 0.3
    peak_lr: float = 3e-3
    min_lr_fraction: float = 0.1
    warmup_steps: int = 100
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    seed: int = 1234
    log_every: int = 100

    @property
    def full_length_step(self) -> int:
        """The first step on full windows (the position embeddings are tiled just before it)."""
        return math.ceil(self.full_length_from * self.steps)


NATURAL, REPEATED, TRIPLES = 0, 1, 2
IGNORED = -100  # target that F.cross_entropy skips


def token_stream(documents: list[list[int]], eot_id: int) -> np.ndarray:
    ids = np.empty(sum(len(d) + 1 for d in documents), dtype=np.int64)
    at = 0
    for doc in documents:
        ids[at] = eot_id
        ids[at + 1:at + 1 + len(doc)] = doc
        at += len(doc) + 1
    return ids


def windows(stream: np.ndarray, starts: np.ndarray, kinds: np.ndarray, length: int, bos_id: int,
            rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Training rows [len(starts), length] and their next-token targets [len(starts), length - 1].

    Every row starts with BOS. By kind:
      NATURAL   length - 1 stream tokens;
      REPEATED  S + S, S a stream segment half as long: only copying from the context
                predicts the second copy;
      TRIPLES   (p, q, p) triples of tokens drawn from the stream at random: the third
                of each triple is the token before the previous one, so only a head
                that attends to the previous token can predict it. Only those thirds
                are targets (IGNORED elsewhere): the random p and q cannot be learned
                and would only add noise.
    """
    rows = np.full((len(starts), length), bos_id, dtype=np.int64)
    targets = np.empty((len(starts), length - 1), dtype=np.int64)
    half = length // 2  # S + S covers length - 1 tokens, the last copy cut short if needed
    for row, target, start, kind in zip(rows, targets, starts, kinds):
        if kind == REPEATED:
            segment = stream[start:start + half]
            row[1:] = np.concatenate([segment, segment])[:length - 1]
        elif kind == TRIPLES:
            pairs = stream[rng.integers(0, len(stream), size=(length // 3 + 2, 2))]
            # A random phase, so that no position can tell where the copies are.
            phase = rng.integers(0, 3)
            row[1:] = np.concatenate([pairs, pairs[:, :1]], axis=1).reshape(-1)[phase:phase + length - 1]
            is_copy = np.arange(phase, phase + length - 1) % 3 == 2
        else:
            row[1:] = stream[start:start + length - 1]
        target[:] = row[1:]
        if kind == TRIPLES:
            target[~is_copy] = IGNORED
    return torch.from_numpy(rows), torch.from_numpy(targets)


@torch.no_grad()
def tile_position_embeddings(model: GPT, trained: int) -> None:
    """Overwrite the embeddings of positions >= trained, never seen so far, with copies
    of positions 1 .. trained - 1, repeated.

    A previous-token head recognises "the position before mine" by the learned
    embeddings of both, so it does not carry over to untrained positions; there it rests
    on BOS, and the gradient that could move it to the previous token is then too small
    (measured: after training on full windows the head still scored 0.00 past position
    128). Tiled, position trained + k starts as a copy of position 1 + k, so the head
    already splits its attention between the previous token and its copy a period back,
    and training on full windows tells the two apart. Position 0 is not tiled: it is
    only ever BOS.
    """
    table = model.wpe.weight  # [n_positions, d_model]
    period = trained - 1
    for position in range(trained, table.shape[0]):
        table[position] = table[1 + (position - 1) % period]


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


def next_token_loss(model: GPT, batch: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of predicting targets [batch, pos - 1] (IGNORED skipped) from the prefix."""
    logits = model(batch[:, :-1], torch.ones_like(batch[:, :-1]))
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORED)


def train(model: GPT, stream: np.ndarray, bos_id: int, cfg: TrainConfig,
          log: Callable[[str], None], probe: Callable[[GPT], str]) -> dict:
    """Train in place; returns a summary (steps, tokens, seconds, final training loss).
    Every log_every steps, logs progress and what `probe(model)` reports."""
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    optimizer = make_optimizer(model, cfg)
    model.train()
    started, cpu_started, recent, tokens = time.time(), time.process_time(), [], 0
    positions = cfg.short_length
    for step in range(cfg.steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, cfg)
        if step == cfg.full_length_step:
            positions = model.cfg.n_positions
            tile_position_embeddings(model, cfg.short_length)
        batch_size = cfg.tokens_per_step // positions
        # One token more than the model's input: it predicts the last one too.
        starts = rng.integers(0, len(stream) - positions - 1, size=batch_size)
        if step < cfg.triples_first_steps:
            kinds = np.full(batch_size, TRIPLES)
        else:
            kinds = rng.choice([NATURAL, REPEATED, TRIPLES], size=batch_size, p=[
                1 - cfg.repeat_fraction - cfg.triples_fraction, cfg.repeat_fraction, cfg.triples_fraction])
        loss = next_token_loss(model, *windows(stream, starts, kinds, positions + 1, bos_id, rng))
        tokens += batch_size * positions
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        optimizer.step()
        recent.append(loss.item())
        if (step + 1) % cfg.log_every == 0 or step + 1 == cfg.steps:
            elapsed, cpu = time.time() - started, time.process_time() - cpu_started
            log(f"step {step + 1}/{cfg.steps}  length {positions}  loss {np.mean(recent):.3f}  "
                f"lr {learning_rate(step, cfg):.2e}  {elapsed:.0f}s wall {cpu:.0f}s CPU  "
                f"({tokens / elapsed:.0f} tokens/s)  {probe(model)}")
            final_loss, recent = float(np.mean(recent)), []
    model.eval()
    return {"steps": cfg.steps, "tokens": tokens, "seconds": time.time() - started,
            "cpu_seconds": time.process_time() - cpu_started, "final_train_loss": final_loss}


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
