"""Where the pipeline reads and writes, all relative to this script's location."""

from pathlib import Path

SCRIPT_DIR = Path(__file__).resolve().parent
REPO_ROOT = SCRIPT_DIR.parent.parent

MANIFEST_PATH = SCRIPT_DIR / "corpus-manifest.tsv"

# Big intermediate files (token ids, checkpoints) stay out of the repository.
CACHE_DIR = REPO_ROOT / ".cache" / "train-default-model"

MODEL_DIR = REPO_ROOT / "media" / "models" / "lens-tiny"
GOLDENS_DIR = REPO_ROOT / "test" / "fixtures" / "lens-tiny-goldens"
