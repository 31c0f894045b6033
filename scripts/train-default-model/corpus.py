"""Training corpus: permissively licensed code and prose found on a developer machine.

The corpus is defined by `corpus-manifest.tsv` (one file per line: source, path
relative to the source root, sha256, licence, split). A normal run reads exactly
the files named there and fails if any is missing or changed, so a rerun trains on
the same bytes. `collect()` walks the sources to (re)build the manifest; it only
runs when asked to (`train.py --rebuild-manifest`) or when no manifest exists.

Sources:
  typescript-lib  the TypeScript compiler's lib.*.d.ts declaration files
  npm             sources and Markdown docs of permissively licensed npm packages
  python-stdlib   Python's standard library (the interpreter running this script)
"""

from __future__ import annotations

import hashlib
import json
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from paths import MANIFEST_PATH, REPO_ROOT

# Licences we accept for training data that ships inside the extension. All of them
# allow redistribution of derived works without copyleft obligations.
PERMISSIVE_LICENCES = {
    "MIT", "ISC", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "0BSD",
    "BlueOak-1.0.0", "CC0-1.0", "(MIT OR CC0-1.0)", "Python-2.0",
}

CODE_SUFFIXES = (".ts", ".mts", ".cts", ".js", ".mjs", ".cjs")
PROSE_SUFFIXES = (".md",)

# Per-package byte budgets keep one large package (playwright, rollup, ...) from
# dominating the mix; they are applied in sorted path order so collection is stable.
NPM_CODE_BUDGET = 50_000
NPM_PROSE_BUDGET = 120_000
PY_PACKAGE_BUDGET = 120_000
MAX_FILE_BYTES = 300_000

# The worker-scope libs repeat most of lib.dom.d.ts; one copy is enough.
TS_LIB_SKIP = ("webworker", "sharedworker", "serviceworker")

# Python stdlib folders that are tests, data tables or platform build files.
PY_SKIP_DIRS = {
    "test", "tests", "idle_test", "site-packages", "dist-packages", "__pycache__",
    "encodings", "ensurepip", "lib2to3", "turtledemo",
}

VALIDATION_PERCENT = 4


@dataclass(frozen=True)
class CorpusFile:
    source: str
    rel_path: str
    sha256: str
    licence: str
    split: str  # "train" or "valid"


def source_roots() -> dict[str, Path]:
    node_modules = REPO_ROOT / "node_modules"
    return {
        "typescript-lib": node_modules / "typescript" / "lib",
        "npm": node_modules,
        "python-stdlib": Path(sysconfig.get_paths()["stdlib"]),
    }


def split_for(source: str, rel_path: str) -> str:
    """Hold out files by a hash of their name, so adding or removing other files
    never moves a file between splits."""
    digest = hashlib.sha256(f"{source}/{rel_path}".encode()).digest()
    return "valid" if digest[0] * 100 // 256 < VALIDATION_PERCENT else "train"


def looks_generated(text: str) -> bool:
    """Minified bundles and generated tables teach the model nothing readable."""
    lines = text.splitlines() or [""]
    longest = max(len(line) for line in lines)
    mean = len(text) / len(lines)
    return longest > 1000 or mean > 100


def read_text(path: Path) -> str | None:
    data = path.read_bytes()
    if len(data) == 0 or len(data) > MAX_FILE_BYTES:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if looks_generated(text) else text


def package_licence(package_dir: Path) -> str | None:
    try:
        manifest = json.loads((package_dir / "package.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    licence = manifest.get("license")
    if isinstance(licence, dict):  # old style {"type": "MIT", "url": ...}
        licence = licence.get("type")
    return licence if isinstance(licence, str) else None


def npm_packages(node_modules: Path) -> list[Path]:
    """Every installed package directory, nested ones included, in sorted order."""
    found = []
    for manifest in sorted(node_modules.rglob("package.json")):
        package_dir = manifest.parent
        parent = package_dir.parent
        is_plain = parent.name == "node_modules"
        is_scoped = parent.name.startswith("@") and parent.parent.name == "node_modules"
        if is_plain or is_scoped:
            found.append(package_dir)
    return found


def is_licence_file(path: Path) -> bool:
    return path.name.lower().startswith(("license", "licence", "copying", "notice"))


def collect_npm(node_modules: Path, seen: set[str]) -> list[tuple[str, Path, str]]:
    picked = []
    for package_dir in npm_packages(node_modules):
        if package_dir.name == "typescript":
            continue  # its lib.*.d.ts are a source of their own; the rest is one huge bundle
        licence = package_licence(package_dir)
        if licence not in PERMISSIVE_LICENCES:
            continue
        budgets = {"code": NPM_CODE_BUDGET, "prose": NPM_PROSE_BUDGET}
        for path in sorted(package_dir.rglob("*")):
            relative_to_package = path.relative_to(package_dir)
            if "node_modules" in relative_to_package.parts or not path.is_file() or is_licence_file(path):
                continue  # nested packages are visited on their own, with their own licence
            kind = "code" if path.name.endswith(CODE_SUFFIXES) else "prose" if path.name.endswith(PROSE_SUFFIXES) else None
            if kind is None or ".min." in path.name:
                continue
            text = read_text(path)
            if text is None or len(text) > budgets[kind]:
                continue
            if take_unique(text, seen):
                budgets[kind] -= len(text)
                picked.append((str(path.relative_to(node_modules)), path, licence))
    return picked


def collect_typescript_lib(lib_dir: Path, seen: set[str]) -> list[tuple[str, Path, str]]:
    licence = package_licence(lib_dir.parent)
    picked = []
    for path in sorted(lib_dir.glob("lib.*.d.ts")):
        if any(skip in path.name for skip in TS_LIB_SKIP):
            continue
        text = read_text(path)
        if text is not None and take_unique(text, seen):
            picked.append((path.name, path, licence))
    return picked


def collect_python(stdlib: Path, seen: set[str]) -> list[tuple[str, Path, str]]:
    picked = []
    budgets: dict[str, int] = {}  # per top-level module or package
    for path in sorted(stdlib.rglob("*.py")):
        rel = path.relative_to(stdlib)
        if PY_SKIP_DIRS.intersection(rel.parts[:-1]) or rel.parts[0].startswith("config-") \
                or rel.name.startswith("_sysconfigdata"):
            continue
        budget = budgets.setdefault(rel.parts[0], PY_PACKAGE_BUDGET)
        text = read_text(path)
        if text is not None and len(text) <= budget and take_unique(text, seen):
            budgets[rel.parts[0]] = budget - len(text)
            picked.append((str(rel), path, "Python-2.0"))
    return picked


def take_unique(text: str, seen: set[str]) -> bool:
    """Packages vendor copies of each other; keep the first copy of each content."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if digest in seen:
        return False
    seen.add(digest)
    return True


def collect() -> list[CorpusFile]:
    roots = source_roots()
    seen: set[str] = set()
    collectors = {
        "typescript-lib": collect_typescript_lib,
        "npm": collect_npm,
        "python-stdlib": collect_python,
    }
    files = []
    for source, collector in collectors.items():
        for rel, path, licence in collector(roots[source], seen):
            files.append(CorpusFile(source, rel, sha256_of(path), licence, split_for(source, rel)))
    return files


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_manifest(files: list[CorpusFile]) -> None:
    lines = ["source\tpath\tsha256\tlicence\tsplit"]
    lines += [f"{f.source}\t{f.rel_path}\t{f.sha256}\t{f.licence}\t{f.split}" for f in files]
    MANIFEST_PATH.write_text("\n".join(lines) + "\n", "utf-8")


def read_manifest() -> list[CorpusFile]:
    rows = MANIFEST_PATH.read_text("utf-8").splitlines()[1:]
    return [CorpusFile(*row.split("\t")) for row in rows]


def load_texts(files: list[CorpusFile]) -> list[str]:
    """Read every manifest file, refusing to go on if the machine's copy differs."""
    roots = source_roots()
    texts, problems = [], []
    for f in files:
        path = roots[f.source] / f.rel_path
        if not path.is_file():
            problems.append(f"missing: {f.source}/{f.rel_path}")
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != f.sha256:
            problems.append(f"changed: {f.source}/{f.rel_path}")
            continue
        texts.append(data.decode("utf-8"))
    if problems:
        shown = "\n  ".join(problems[:20])
        raise SystemExit(
            f"{len(problems)} corpus files differ from {MANIFEST_PATH.name}:\n  {shown}\n"
            "Install the same package versions, or rerun with --rebuild-manifest to train on "
            "what is here now (the model will then differ from the shipped one).")
    return texts
