#!/usr/bin/python3
"""Build Model Lens' embedded default model, lens-tiny, from scratch.

  /usr/bin/python3 scripts/train-default-model/train.py

Stages: corpus (check the manifest) -> tokenizer -> training -> held-out evaluation ->
head scores -> ONNX export and check -> golden outputs -> model card. Writes
media/models/lens-tiny/ and test/fixtures/lens-tiny-goldens/; intermediate files go
to .cache/train-default-model/. See README.md next to this file.
"""

from __future__ import annotations

import os

# Must be set before torch loads OpenMP. By default idle OpenMP threads spin while the
# BLAS threads work; on two cores (and far worse on cores shared with other jobs) the
# spinning steals the CPU the matrix products need. Passive threads sleep instead.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

import bpe  # noqa: E402
import corpus  # noqa: E402
import export_onnx  # noqa: E402
import fit  # noqa: E402
import goldens  # noqa: E402
import head_scores  # noqa: E402
import model_card  # noqa: E402
from model import GPT, Config  # noqa: E402
from paths import CACHE_DIR, GOLDENS_DIR, MANIFEST_PATH, MODEL_DIR  # noqa: E402

VOCAB_SIZE = 4096
MODEL_CONFIG = Config(vocab_size=VOCAB_SIZE, n_positions=512, d_model=256, n_layer=4, n_head=4)
TRAIN_CONFIG = fit.TrainConfig()
MODEL_SEED = 0
MAX_MODEL_FOLDER_BYTES = 25_000_000
CHECKPOINT = CACHE_DIR / "checkpoint.pt"


def log(message: str) -> None:
    print(message, flush=True)


class Stopwatch:
    """Wall-clock and CPU time per stage. The machine may be shared, so wall time alone
    says little; CPU time / threads is what the stage would take on idle cores."""

    def __init__(self):
        self.started = (time.time(), time.process_time())
        self.stages: dict[str, tuple[float, float]] = {}

    @contextmanager
    def stage(self, name: str):
        log(f"== {name}")
        wall, cpu = time.time(), time.process_time()
        yield
        self.stages[name] = (time.time() - wall, time.process_time() - cpu)
        log(f"   {name}: {self.stages[name][0]:.1f}s wall, {self.stages[name][1]:.1f}s CPU")

    def total(self) -> tuple[float, float]:
        return time.time() - self.started[0], time.process_time() - self.started[1]


def check_blas() -> None:
    """Debian's torch calls whatever libblas.so.3 the system provides; the reference
    BLAS is ~25x slower than OpenBLAS, which would blow the time budget."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    maps = Path("/proc/self/maps")
    if maps.exists() and "openblas" not in maps.read_text():
        log("warning: OpenBLAS is not loaded; install libopenblas0-pthread or training will be very slow")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rebuild-manifest", action="store_true",
                        help="collect the corpus from what is installed now and rewrite corpus-manifest.tsv")
    parser.add_argument("--reuse-checkpoint", action="store_true",
                        help="skip training and use the weights from the last run's checkpoint")
    return parser.parse_args()


def load_corpus(rebuild: bool) -> list[corpus.CorpusFile]:
    if rebuild or not MANIFEST_PATH.exists():
        files = corpus.collect()
        corpus.write_manifest(files)
        log(f"   wrote {MANIFEST_PATH.name}: {len(files)} files")
    return corpus.read_manifest()


def train_or_load(model: GPT, stream: np.ndarray, valid_stream: np.ndarray, bos_id: int, reuse: bool) -> dict:
    if reuse:
        saved = torch.load(CHECKPOINT)
        model.load_state_dict(saved["weights"])
        model.eval()
        return saved["training"]

    def probe(trained: GPT) -> str:
        """Watch the heads form: the best previous-token and self heads so far."""
        scores = head_scores.text_scores(trained, valid_stream, bos_id, windows=4)
        prev, own = head_scores.best_head(scores["previous_token"]), head_scores.best_head(scores["self"])
        return f"previous-token L{prev[0]}H{prev[1]} {prev[2]:.2f}, self L{own[0]}H{own[1]} {own[2]:.2f}"

    summary = fit.train(model, stream, bos_id, TRAIN_CONFIG, log, probe)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    torch.save({"weights": model.state_dict(), "training": summary}, CHECKPOINT)
    return summary


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    args = parse_args()
    torch.set_num_threads(2)
    check_blas()
    clock = Stopwatch()

    with clock.stage("corpus"):
        files = load_corpus(args.rebuild_manifest)
        texts = corpus.load_texts(files)
        train_texts = [t for f, t in zip(files, texts) if f.split == "train"]
        valid_texts = [t for f, t in zip(files, texts) if f.split == "valid"]
        sizes = {(f.source, f.rel_path): len(t.encode("utf-8")) for f, t in zip(files, texts)}
        log(f"   {len(train_texts)} training files, {len(valid_texts)} held out, "
            f"{sum(sizes.values()) / 1e6:.1f} MB")

    with clock.stage("tokenizer"):
        tokenizer = bpe.train(train_texts, VOCAB_SIZE)
        tokenizer.save(MODEL_DIR, MODEL_CONFIG.n_positions)
        train_docs = [tokenizer.encode(t) for t in train_texts]
        valid_docs = [tokenizer.encode(t) for t in valid_texts]
        bos = tokenizer.eot_id
        train_stream = fit.token_stream(train_docs, bos)
        valid_stream = fit.token_stream(valid_docs, bos)
        log(f"   {len(train_stream):,} training tokens, {len(valid_stream):,} held-out tokens")

    torch.manual_seed(MODEL_SEED)
    model = GPT(MODEL_CONFIG)
    log(f"   {model.parameter_count():,} parameters")
    with clock.stage("training"):
        training = train_or_load(model, train_stream, valid_stream, bos, args.reuse_checkpoint)

    with clock.stage("evaluation"):
        evaluation = fit.evaluate(model, valid_docs, bos)
        valid_bytes = sum(len(t.encode("utf-8")) for t in valid_texts)
        evaluation["bits_per_byte"] = evaluation["loss"] * evaluation["tokens"] / valid_bytes / math.log(2)
        log(f"   held-out loss {evaluation['loss']:.3f}, perplexity {evaluation['perplexity']:.1f}")

    with clock.stage("head scores"):
        scores = head_scores.all_scores(model, valid_stream, bos)
        best_prev = head_scores.best_head(scores["previous_token"])
        best_induction = head_scores.best_head(scores["induction"])
        log(f"   best previous-token head L{best_prev[0]}H{best_prev[1]} {best_prev[2]:.2f}, "
            f"best induction head L{best_induction[0]}H{best_induction[1]} {best_induction[2]:.2f}")
        if best_prev[2] <= 0.5:
            log("warning: no previous-token head scores above 0.5")

    onnx_path = MODEL_DIR / "onnx" / "model.onnx"
    with clock.stage("onnx export"):
        export_onnx.export(model, onnx_path)
        difference = export_onnx.compare_with_onnxruntime_web(
            model, onnx_path, [[bos] + tokenizer.encode(goldens.TYPESCRIPT_SNIPPET),
                               [bos] + tokenizer.encode(goldens.ENGLISH_SENTENCE)])
        log(f"   ops {export_onnx.op_counts(onnx_path)}")
        log(f"   onnxruntime-web vs PyTorch, max |logits difference| = {difference:.2e}")
        if difference > 1e-4:
            raise SystemExit("onnxruntime-web disagrees with PyTorch")

    with clock.stage("goldens"):
        goldens.write(model, tokenizer, GOLDENS_DIR)
        goldens.check_index(GOLDENS_DIR)

    model_card.write_config(MODEL_DIR, MODEL_CONFIG, bos)
    model_card.write_head_scores(MODEL_DIR, scores)
    model_card.write_card(MODEL_DIR, {
        "config": MODEL_CONFIG, "bos_id": bos, "parameters": model.parameter_count(),
        "files": files, "sizes": sizes, "validation_percent": corpus.VALIDATION_PERCENT,
        "train_tokens": len(train_stream), "training": training, "train_config": TRAIN_CONFIG,
        "evaluation": evaluation, "head_scores": scores, "best_previous_token": best_prev,
        "best_induction": best_induction, "torch_version": torch.__version__.split("+")[0],
        "total_seconds": None if args.reuse_checkpoint else clock.total(),
    })
    size = folder_bytes(MODEL_DIR)
    wall, cpu = clock.total()
    log(f"== done in {wall / 60:.1f} min wall, {cpu / 60:.1f} min CPU; {MODEL_DIR.name} is {size / 1e6:.1f} MB")
    for name, (stage_wall, stage_cpu) in clock.stages.items():
        log(f"   {name:12s} {stage_wall:7.1f}s wall {stage_cpu:7.1f}s CPU")
    log(f"   python {platform.python_version()}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    if size > MAX_MODEL_FOLDER_BYTES:
        raise SystemExit(f"{MODEL_DIR} is over {MAX_MODEL_FOLDER_BYTES} bytes")


if __name__ == "__main__":
    sys.exit(main())
