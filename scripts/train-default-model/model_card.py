"""The files that describe the shipped model: config.json (Hugging Face GPT-2 keys),
head-scores.json and README.md (the model card)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from corpus import CorpusFile
from model import Config

SOURCE_DESCRIPTIONS = {
    "typescript-lib": "TypeScript compiler's standard library declarations (`typescript/lib/lib.*.d.ts`, "
                      "worker-scope variants left out)",
    "npm": "Sources (.ts/.js/.mjs/.cjs) and Markdown docs of the npm packages installed for this "
           "repository, only packages whose package.json licence is permissive",
    "python-stdlib": "Python 3 standard library modules (tests, codecs tables and lib2to3 left out)",
}


def hf_config(cfg: Config, bos_id: int) -> dict:
    return {
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        "vocab_size": cfg.vocab_size,
        "n_positions": cfg.n_positions,
        "n_ctx": cfg.n_positions,
        "n_embd": cfg.d_model,
        "n_layer": cfg.n_layer,
        "n_head": cfg.n_head,
        "n_inner": cfg.d_mlp,
        "activation_function": "gelu",
        "layer_norm_epsilon": cfg.layer_norm_epsilon,
        "scale_attn_weights": True,
        "tie_word_embeddings": True,
        "bos_token_id": bos_id,
        "eos_token_id": bos_id,
        "resid_pdrop": 0.0,
        "embd_pdrop": 0.0,
        "attn_pdrop": 0.0,
    }


def write_config(folder: Path, cfg: Config, bos_id: int) -> None:
    (folder / "config.json").write_text(json.dumps(hf_config(cfg, bos_id), indent=2) + "\n", "utf-8")


def write_head_scores(folder: Path, scores: dict) -> None:
    (folder / "head-scores.json").write_text(json.dumps(rounded(scores), indent=1) + "\n", "utf-8")


def rounded(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, list):
        return [rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    return value


def score_table(scores: list[list[float]]) -> str:
    heads = len(scores[0])
    lines = ["| layer | " + " | ".join(f"head {h}" for h in range(heads)) + " |",
             "| --- |" + " --- |" * heads]
    for layer, row in enumerate(scores):
        cells = [f"**{s:.2f}**" if s == max(max(r) for r in scores) else f"{s:.2f}" for s in row]
        lines.append(f"| {layer} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def corpus_table(files: list[CorpusFile], sizes: dict[tuple[str, str], int]) -> str:
    by_source: dict[str, list[CorpusFile]] = defaultdict(list)
    for f in files:
        by_source[f.source].append(f)
    lines = ["| source | what | files (train / held out) | bytes | licences (files) |",
             "| --- | --- | --- | --- | --- |"]
    for source, group in by_source.items():
        train = sum(f.split == "train" for f in group)
        licences = ", ".join(f"{name} ({n})" for name, n in Counter(f.licence for f in group).most_common())
        size = sum(sizes[(f.source, f.rel_path)] for f in group)
        lines.append(f"| `{source}` | {SOURCE_DESCRIPTIONS[source]} | {train} / {len(group) - train} | "
                     f"{size / 1e6:.1f} MB | {licences} |")
    return "\n".join(lines)


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def schedule(train_config, cfg: Config) -> str:
    short_steps = train_config.full_length_step
    per_step = train_config.tokens_per_step
    return (f"{train_config.steps}: {short_steps} of {per_step // train_config.short_length} windows × "
            f"{train_config.short_length} tokens, then {train_config.steps - short_steps} of "
            f"{per_step // cfg.n_positions} × {cfg.n_positions}")


def sequences(train_config) -> str:
    t = train_config
    return (f"first {t.triples_first_steps} steps: synthetic (p, q, p) triples of corpus tokens at a random "
            f"phase, the loss taken only on the copies, which teaches a head to attend to the previous token; "
            f"then random windows of the concatenated training files (each file preceded by `<|endoftext|>`), "
            f"of which {t.repeat_fraction:.0%} are a half-window segment written twice (to learn copying) and "
            f"{t.triples_fraction:.0%} are triples again; BOS prepended to every window")


def position_schedule(train_config, cfg: Config) -> str:
    t = train_config
    return (f"positions 0–{t.short_length - 1} until step {t.full_length_step}; then the embeddings of "
            f"positions {t.short_length}–{cfg.n_positions - 1}, untrained so far, start as copies of positions "
            f"1–{t.short_length - 1} (repeated), so that the previous-token head learned on short windows carries over, "
            f"and training continues on full windows")


def pipeline_time(total: tuple[float, float] | None) -> str:
    """(wall, CPU) seconds of the whole run; unknown when training was skipped."""
    return "" if total is None else f" (whole pipeline: {minutes(total[0])} wall, {minutes(total[1])} CPU)"


def write_card(folder: Path, report: dict) -> None:
    cfg: Config = report["config"]
    training, evaluation, scores = report["training"], report["evaluation"], report["head_scores"]
    best_prev, best_induction = report["best_previous_token"], report["best_induction"]
    settings = scores["settings"]
    text = f"""# lens-tiny

A small GPT-2-style language model trained for Model Lens, so that the extension works
offline out of the box and has real attention patterns to show on code and prose.
It is a teaching and inspection model, not a useful text generator.

## Files

| file | what |
| --- | --- |
| `config.json` | Hugging Face GPT-2 style configuration |
| `tokenizer.json`, `tokenizer_config.json` | byte-level BPE tokenizer (Hugging Face format) |
| `onnx/model.onnx` | the model, fp32, ONNX opset 17 |
| `head-scores.json` | per-head attention scores (tables below) |

## Architecture

| | |
| --- | --- |
| type | decoder-only transformer, GPT-2 layout (pre-LayerNorm blocks, final LayerNorm) |
| layers × heads | {cfg.n_layer} × {cfg.n_head} |
| d_model / d_head / d_mlp | {cfg.d_model} / {cfg.d_head} / {cfg.d_mlp} |
| positions | {cfg.n_positions}, learned absolute embeddings |
| vocabulary | {cfg.vocab_size} (256 bytes, {cfg.vocab_size - 257} merges, `<|endoftext|>` = {report["bos_id"]}) |
| MLP activation | GELU (exact, erf) |
| unembedding | tied to the token embedding, no bias |
| parameters | {report["parameters"]:,} |

ONNX graph: inputs `input_ids` and `attention_mask` (int64, [batch, sequence]), output
`logits` (float32, [batch, sequence, vocab]); batch and sequence are dynamic. Attention is
written out op by op, so each layer has one `Softmax` node whose output is the attention
pattern [batch, head, query, key], preceded by `MatMul(q, kᵀ)`, `Div(√d_head)` and a
`Where` that applies the causal mask and the padding mask from `attention_mask`
(masked scores become -1e9). Position ids are 0, 1, 2, … for every row, so pad on the
right. LayerNorm is one `LayerNormalization` node.

Every sequence starts with `<|endoftext|>` as BOS (the tokenizer's post-processor adds
it), as in training; many heads use it as an attention sink.

## Training data

All text is permissively licensed and was present on the training machine; no data
was downloaded. Files are held out for validation by a hash of their path
({report["validation_percent"]}% of files). The exact list of files, with sha256 and licence, is
`scripts/train-default-model/corpus-manifest.tsv` in the extension's repository.

{corpus_table(report["files"], report["sizes"])}

Training split: {report["train_tokens"]:,} tokens; held-out split: {evaluation["tokens"]:,} tokens.

## Training

| | |
| --- | --- |
| steps | {schedule(report["train_config"], cfg)} |
| tokens seen | {training["tokens"]:,} (≈ {training["tokens"] / report["train_tokens"]:.2f} epochs) |
| optimizer | AdamW (β = 0.9, 0.95; weight decay {report["train_config"].weight_decay} on matrices), gradient clip {report["train_config"].grad_clip} |
| learning rate | {report["train_config"].peak_lr:g} peak, {report["train_config"].warmup_steps} warmup steps, cosine decay to {report["train_config"].min_lr_fraction:g} × peak |
| sequences | {sequences(report["train_config"])} |
| positions | {position_schedule(report["train_config"], cfg)} |
| hardware | 2 CPU cores (PyTorch {report["torch_version"]}, OpenBLAS); CPU time is summed over both threads |
| training time | {minutes(training["seconds"])} wall, {minutes(training["cpu_seconds"])} CPU{pipeline_time(report["total_seconds"])} |
| seeds | fixed (data order, initialisation, tokenizer ties) |

## Evaluation (held-out files)

| | |
| --- | --- |
| loss | {evaluation["loss"]:.3f} nats / token |
| perplexity | {evaluation["perplexity"]:.1f} |
| bits per byte | {evaluation["bits_per_byte"]:.3f} |
| final training loss | {training["final_train_loss"]:.3f} |

Perplexity is per token of this tokenizer, so it is not comparable with models that
use another vocabulary; bits per byte is.

## Attention head scores

Pattern A [query, key] of one head on a sequence whose position 0 is BOS:

- previous-token: mean over q = 1..n-1 of A[q, q-1]
- first-token (sink): mean over q = 1..n-1 of A[q, 0]
- self: mean over q = 1..n-1 of A[q, q]
- induction: on [BOS] + R + R with R = m random non-special tokens, mean over
  q = m+1..2m of A[q, q-m+1]

Previous-token, first-token and self scores are averaged over {settings["text_windows"]} evenly spaced
held-out windows of {settings["text_window_length"]} tokens (BOS included); induction over {settings["induction_sequences"]} random
sequences with m = {settings["induction_m"]} (seed {settings["induction_seed"]}). The highest score in each table is bold.

Best previous-token head: layer {best_prev[0]} head {best_prev[1]} ({best_prev[2]:.2f}).
Best induction head: layer {best_induction[0]} head {best_induction[1]} ({best_induction[2]:.2f}).

### Previous-token

{score_table(scores["previous_token"])}

### Induction

{score_table(scores["induction"])}

### First-token (sink)

{score_table(scores["first_token"])}

### Self

{score_table(scores["self"])}

## Limitations

- Tiny and briefly trained: it knows common syntax, frequent identifiers and
  English function words, and little else. Its completions are often wrong; its
  probabilities are poorly calibrated for anything outside code and README prose.
- Positions {report["train_config"].short_length}–{cfg.n_positions - 1} were trained for fewer steps than 0–{report["train_config"].short_length - 1} (see Training), and their
  embeddings began as copies of earlier ones; heads that depend on absolute position
  may behave less cleanly there.
- Trained on sequences of up to {cfg.n_positions} tokens; positions beyond that do not exist.
- The corpus is dominated by JavaScript/TypeScript from npm packages and by Python's
  standard library; other languages and non-English prose are barely represented
  (the byte-level tokenizer still encodes any text).
- Left padding shifts positions (position ids always start at 0); pad on the right.

## Reproducing

`/usr/bin/python3 scripts/train-default-model/train.py` in the extension's repository
rebuilds this folder and the golden test outputs; see that folder's README.md.

## Licence

The model is distributed with the Model Lens extension under its licence (MIT). The
training files keep their own licences, listed above and per file in the manifest.
"""
    (folder / "README.md").write_text(text, "utf-8")
