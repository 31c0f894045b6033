// The benchmark's driver (bundled by scripts/bench.mjs into .cache/bench/bench.js). Run without a
// role it plans the whole benchmark and starts one child process per measurement; run with a
// role (`prepare`, `footprint`, `load`, `rounds`, `editor`) it is that child, reading its spec
// from a JSON file and writing its result to another.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveModelFiles } from '../../src/engine/modelFolder';
import { nativeRuntimeInstalled } from '../../src/host/backendChoice';
import { Children, findTorchPython } from './children';
import { coldStart, runtimeStart, type ColdStartResult, type ColdStarts } from './coldStart';
import { editorBudgets, type EditorResult, type EditorSpec } from './editor';
import { ensureModel, GPT2_SMALL, LENS_TINY_STANDIN, modelFolder, QUICK_TINY, type BenchModelSpec } from './models';
import { renderReport, type BackendResults, type ModelResults, type Report, type RowResult } from './report';
import { remoteHeatmap, type RemoteResult } from './remote';
import { footprint, loadOnly, rounds, type FootprintResult, type RowSpec } from './rows';
import { inputsFor, patchingPair, type Inputs, type OrtBackend, type RowKind } from './runners';
import { BERT_SMALL, ensureEncoder, maskedProbabilities, QUICK_ENCODER, type MaskedReport, type MaskedResult } from './masked';
import { sweep, type SweepResult, type SweepSpec } from './sweep';

/** Where the bundle lives: .cache/bench/ under the repository. */
const ROOT = path.resolve(__dirname, '..', '..');
const WORK = path.join(ROOT, '.cache', 'bench');
const MODELS = path.join(ROOT, 'bench-models');
const DEFAULT_MODEL = path.join(ROOT, 'media', 'models', 'lens-tiny');
const WORKER = path.join(WORK, 'worker.js');
const TORCH_SCRIPT = path.join(ROOT, 'scripts', 'bench', 'torch_row.py');
/** Threads everywhere: what the extension picks by default on this machine (cores, at most 4). */
const THREADS = Math.max(1, Math.min(4, os.availableParallelism()));
const KINDS: RowKind[] = ['plain', 'pluslens', 'full', 'nolens', 'rollout', 'ablated'];

interface Config {
  quick: boolean;
  sizes: number[];
  runs: number;
  warmup: number;
  /** Load-time samples per row (the footprint process gives the first). */
  loads: number;
  editor: Omit<EditorSpec, 'model' | 'backend' | 'threads' | 'workerPath'>;
  /** The patching sweep: tokens per text, and timed sweeps (each against as many plain passes). */
  sweep: { n: number; runs: number };
  /** Fresh processes timed from a request to the default model's first analysis, per backend. */
  coldStarts: number;
  /** Lines of the file whose heatmap comes through the loopback completions server. */
  remoteLines: number;
  out: string;
}

const USAGE = `npm run bench [-- --quick] [-- --runs=N]
  (no flag)  the full benchmark (GPT-2-small-shaped and the default model, ~30-40 min, of which the
             patching sweeps, one timed round each, take half) → docs/benchmarks.md
  --quick    one small model, small sizes (~30 s), for CI → test-output/benchmarks-quick.md; fails only if something fails to run
  --runs=N   timed runs per figure (at least 5, the default)`;

function config(args: string[]): Config {
  const unknown = args.filter((a) => a !== '--quick' && !/^--runs=\d+$/.test(a));
  if (unknown.length) {
    console.log(USAGE);
    process.exit(unknown.every((a) => a === '--help' || a === '-h') ? 0 : 2);
  }
  const quick = args.includes('--quick');
  const runsArg = args.find((a) => a.startsWith('--runs='));
  const runs = runsArg ? Math.max(5, Number(runsArg.slice(7))) : 5;
  // Each figure: --quick's, then the full run's.
  return {
    quick,
    sizes: quick ? [16, 64] : [32, 128, 512],
    runs,
    warmup: 1,
    loads: quick ? 1 : 5,
    editor: quick ? { lines: 200, firstHovers: 5, cachedHovers: 500, typingMs: 1500 } : { lines: 2000, firstHovers: 7, cachedHovers: 2000, typingMs: 6000 },
    sweep: quick ? { n: 16, runs: 3 } : { n: 32, runs: 1 },
    coldStarts: quick ? 1 : 5,
    remoteLines: quick ? 60 : 1000,
    out: quick ? path.join(ROOT, 'test-output', 'benchmarks-quick.md') : path.join(ROOT, 'docs', 'benchmarks.md'),
  };
}

// ---- child side ------------------------------------------------------------------------------

const ROLES: Record<string, (spec: never) => Promise<unknown>> = {
  prepare: async (spec: { models: BenchModelSpec[] }) => spec.models.map((m) => ensureModel(MODELS, m, ROOT)),
  footprint,
  load: loadOnly,
  rounds,
  sweep,
  editor: editorBudgets,
  coldStart,
  runtimeStart,
  remote: remoteHeatmap,
  masked: maskedProbabilities,
  prepareEncoder: async (spec: { encoder: BenchModelSpec }) => ensureEncoder(MODELS, spec.encoder),
};

async function child(role: string, specFile: string): Promise<void> {
  const spec = JSON.parse(fs.readFileSync(specFile, 'utf8'));
  const result = await ROLES[role](spec as never);
  fs.writeFileSync(spec.out, JSON.stringify(result));
  // The engine worker and ONNX Runtime's threads would keep the process alive.
  process.exit(0);
}

// ---- driver side -----------------------------------------------------------------------------

let children: Children;

function nodeChild<T>(role: string, spec: object, what: string): Promise<T> {
  return children.run<T>(process.execPath, [__filename, role], spec, what);
}

function positionsOf(folder: string, spec?: BenchModelSpec): number {
  if (spec) return spec.positions;
  const configFile = resolveModelFiles(folder).config;
  const config = configFile ? JSON.parse(fs.readFileSync(configFile, 'utf8')) : {};
  return config.n_positions ?? config.max_position_embeddings ?? 512;
}

const ROW_LABELS: Record<RowKind, (backend: OrtBackend) => string> = {
  plain: (b) => (b === 'wasm' ? 'onnxruntime-web (WASM), uninstrumented' : 'onnxruntime-node (native), uninstrumented'),
  pluslens: (b) => `uninstrumented, then a plain head on the lens' rows, ${b === 'wasm' ? 'WASM' : 'native'}`,
  full: (b) => `Model Lens full analysis, ${b === 'wasm' ? 'WASM' : 'native'}`,
  nolens: (b) => `Model Lens without the lens, ${b === 'wasm' ? 'WASM' : 'native'}`,
  rollout: (b) => `Model Lens full + rollout, ${b === 'wasm' ? 'WASM' : 'native'}`,
  ablated: (b) => `Model Lens full, one head zero-ablated, ${b === 'wasm' ? 'WASM' : 'native'}`,
};

async function benchModel(
  cfg: Config,
  label: string,
  folder: string,
  spec: BenchModelSpec | undefined,
  backends: OrtBackend[],
  torch: { python?: string },
  failures: string[],
): Promise<ModelResults> {
  const positions = positionsOf(folder, spec);
  const sizes = cfg.sizes.filter((n) => n <= positions);
  const fileBytes = fs.statSync(resolveModelFiles(folder).onnx).size;
  const result: ModelResults = { label, folder: path.relative(ROOT, folder), fileBytes, sizes, backends: {} };
  console.log(`\n${label} (${(fileBytes / 1e6).toFixed(1)} MB), sizes ${sizes.join(', ')}`);
  const inputs = Object.fromEntries(inputsFor(folder, sizes));
  for (const backend of backends) {
    const base: RowSpec = { model: folder, backend, threads: THREADS, workerPath: WORKER, sizes, inputs };
    const b: BackendResults = { rows: {} };
    try {
      b.rounds = await nodeChild('rounds', { ...base, kinds: KINDS, runs: cfg.runs, warmup: cfg.warmup }, `${backend}: timed rounds of ${KINDS.join(', ')}`);
    } catch (e) {
      failures.push((e as Error).message);
    }
    for (const kind of KINDS) {
      const row: RowResult = { label: ROW_LABELS[kind](backend), loadMs: [] };
      // Timed in the rounds only: these run on the plain and the full row's sessions, so they have no load or footprint of their own.
      if (kind === 'pluslens' || kind === 'ablated') {
        b.rows[kind] = { ...row, timingOnly: true };
        continue;
      }
      try {
        const f = await nodeChild<FootprintResult>('footprint', { ...base, kind }, `${backend} ${kind}: load, peak RSS, bytes`);
        row.footprint = f;
        row.loadMs.push(f.loadMs);
        result.info ??= f.info;
        for (let i = 1; i < cfg.loads; i++)
          row.loadMs.push((await nodeChild<{ loadMs: number }>('load', { ...base, kind }, `${backend} ${kind}: load ${i + 1}/${cfg.loads}`)).loadMs);
      } catch (e) {
        failures.push((e as Error).message);
      }
      b.rows[kind] = row;
    }
    result.backends[backend] = b;
  }
  result.sweep = await sweeps(cfg, folder, backends, inputs, positions, failures);
  if (torch.python) result.torch = await torchRow(cfg, spec, result, inputs, torch.python, failures);
  return result;
}

/** The patching sweep on each backend, at the size of cfg.sweep (if the model's window holds it). */
async function sweeps(
  cfg: Config,
  folder: string,
  backends: OrtBackend[],
  inputs: Record<number, Inputs>,
  positions: number,
  failures: string[],
): Promise<ModelResults['sweep']> {
  const n = cfg.sweep.n;
  if (n > positions) return undefined;
  const clean = inputs[n] ?? inputsFor(folder, [n]).get(n)!;
  const { corrupted } = patchingPair(folder, n, clean);
  const out: NonNullable<ModelResults['sweep']> = {};
  for (const backend of backends) {
    const spec: SweepSpec = { model: folder, backend, threads: THREADS, workerPath: WORKER, n, clean, corrupted, runs: cfg.sweep.runs };
    try {
      out[backend] = await nodeChild<SweepResult>('sweep', spec, `${backend}: patching sweeps of ${n} tokens against as many plain passes`);
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  return out;
}

async function torchRow(
  cfg: Config,
  spec: BenchModelSpec | undefined,
  model: ModelResults,
  inputs: Record<number, Inputs>,
  python: string,
  failures: string[],
): Promise<RowResult | undefined> {
  const info = model.info;
  const shape =
    spec ?? (info && { layers: info.layers, heads: info.heads, dModel: info.dModel, dMlp: info.dMlp, vocab: info.vocab, positions: info.positions, seed: 1 });
  if (!shape) return undefined;
  const name = `${path.basename(model.folder)}-${shape.layers}x${shape.dModel}-${shape.vocab}-${shape.seed}`;
  const torchSpec = {
    state: path.join(MODELS, 'torch', `${name}.pt`),
    shape,
    ids: Object.fromEntries(model.sizes.map((n) => [n, inputs[n].ids])),
    runs: cfg.runs,
    warmup: cfg.warmup,
    threads: THREADS,
  };
  const row: RowResult = { label: 'PyTorch eager, with every attention pattern', loadMs: [] };
  try {
    const r = await children.run<FootprintResult & { torch: string; sizes: Record<number, { ms: number[] }> }>(
      python,
      [TORCH_SCRIPT],
      torchSpec,
      'torch: load, timed runs, peak RSS',
    );
    row.footprint = { loadMs: r.loadMs, peakRss: r.peakRss, peakRssAfterLoad: r.peakRssAfterLoad, sizes: {} };
    row.torchTimes = Object.fromEntries(Object.entries(r.sizes).map(([n, s]) => [n, s.ms]));
    row.torchVersion = r.torch;
    row.loadMs.push(r.loadMs);
    for (let i = 1; i < cfg.loads; i++)
      row.loadMs.push(
        (await children.run<{ loadMs: number }>(python, [TORCH_SCRIPT], { ...torchSpec, load_only: true }, `torch: load ${i + 1}/${cfg.loads}`)).loadMs,
      );
  } catch (e) {
    failures.push((e as Error).message);
  }
  return row;
}

function packageVersion(name: string): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

async function drive(args: string[]): Promise<void> {
  const cfg = config(args);
  children = new Children(path.join(WORK, 'runs'), ROOT, cfg.quick ? 3 * 60_000 : 60 * 60_000);
  const started = performance.now();
  const failures: string[] = [];
  const notes: string[] = [];
  const backends: OrtBackend[] = nativeRuntimeInstalled() ? ['wasm', 'native'] : ['wasm'];
  if (!backends.includes('native')) notes.push('onnxruntime-node is not installed: the native rows are skipped.');
  const torch = await findTorchPython();
  if (torch.note) notes.push(torch.note);

  const hasDefault = (() => {
    try {
      resolveModelFiles(DEFAULT_MODEL);
      return true;
    } catch {
      return false;
    }
  })();
  const defaultSpec = cfg.quick ? QUICK_TINY : hasDefault ? undefined : LENS_TINY_STANDIN;
  if (!cfg.quick && !hasDefault) {
    const tokenizer = fs.existsSync(path.join(DEFAULT_MODEL, 'tokenizer.json'))
      ? "lens-tiny's own tokenizer, which is already there"
      : "the benchmark's small BPE tokenizer";
    notes.push(
      `The default model (media/models/lens-tiny) has no .onnx yet: its rows and the editor budgets use a stand-in of the shape it is trained with (${LENS_TINY_STANDIN.layers} layers, width ${LENS_TINY_STANDIN.dModel}, vocabulary ${LENS_TINY_STANDIN.vocab}, ${LENS_TINY_STANDIN.positions} positions, random weights) and ${tokenizer}. Run the benchmark again once it is there.`,
    );
  }
  // Full runs also measure the runtime's own footprint with the quick model, as a baseline.
  const generated = cfg.quick ? [QUICK_TINY] : [GPT2_SMALL, ...(defaultSpec ? [defaultSpec] : []), QUICK_TINY];
  console.log(`Model Lens benchmark (${cfg.quick ? 'quick' : 'full'}): ${THREADS} threads, ${cfg.runs} timed runs after ${cfg.warmup} warm-up`);
  await nodeChild('prepare', { models: generated }, `models in bench-models/ (${generated.map((m) => m.name).join(', ')})`);

  const models: ModelResults[] = [];
  const targets: { label: string; folder: string; spec?: BenchModelSpec }[] = cfg.quick
    ? [{ label: QUICK_TINY.label, folder: modelFolder(MODELS, QUICK_TINY), spec: QUICK_TINY }]
    : [
        { label: GPT2_SMALL.label, folder: modelFolder(MODELS, GPT2_SMALL), spec: GPT2_SMALL },
        defaultSpec
          ? { label: defaultSpec.label, folder: modelFolder(MODELS, defaultSpec), spec: defaultSpec }
          : { label: 'lens-tiny (the default model)', folder: DEFAULT_MODEL },
      ];
  for (const t of targets) models.push(await benchModel(cfg, t.label, t.folder, t.spec, backends, torch, failures));

  let baseline: Report['baseline'];
  if (!cfg.quick) {
    const folder = modelFolder(MODELS, QUICK_TINY);
    baseline = { fileBytes: fs.statSync(resolveModelFiles(folder).onnx).size, peakRss: {} };
    console.log(`\nBaseline: Model Lens with ${QUICK_TINY.label}`);
    for (const backend of backends) {
      try {
        const spec = {
          model: folder,
          backend,
          threads: THREADS,
          workerPath: WORKER,
          sizes: [16],
          inputs: Object.fromEntries(inputsFor(folder, [16])),
          kind: 'full',
        };
        baseline.peakRss[backend] = (await nodeChild<FootprintResult>('footprint', spec, `${backend} full: peak RSS`)).peakRss;
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
  }

  const editorModel = targets[targets.length - 1];
  const editor: Partial<Record<OrtBackend, EditorResult>> = {};
  console.log(`\nEditor budgets with ${editorModel.label}`);
  for (const backend of backends) {
    try {
      editor[backend] = await nodeChild<EditorResult>(
        'editor',
        { ...cfg.editor, model: editorModel.folder, backend, threads: THREADS, workerPath: WORKER },
        `${backend}: hovers and typing`,
      );
    } catch (e) {
      failures.push((e as Error).message);
    }
  }

  // Token probabilities through the loopback completions server, on the native backend where there is one.
  let remote: RemoteResult | undefined;
  const remoteSpec = {
    model: editorModel.folder,
    backend: backends.at(-1)!,
    threads: THREADS,
    workerPath: WORKER,
    lines: cfg.remoteLines,
    runs: cfg.runs,
    warmup: cfg.warmup,
    scorers: 4,
    inFlight: [1, 4],
  };
  try {
    remote = await nodeChild<RemoteResult>('remote', remoteSpec, `${remoteSpec.backend}: whole-file heatmap through a loopback completions server`);
  } catch (e) {
    failures.push((e as Error).message);
  }

  const coldStarts = hasDefault ? await coldStartRows(cfg, backends, failures) : undefined;
  const masked = await maskedRows(cfg, backends, failures);

  const command = `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`;
  const report: Report = {
    quick: cfg.quick,
    command,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    durationS: (performance.now() - started) / 1000,
    machine: machine(),
    versions: {
      node: process.version,
      ortWeb: packageVersion('onnxruntime-web'),
      ortNode: packageVersion('onnxruntime-node'),
      torch: models.find((m) => m.torch?.torchVersion)?.torch?.torchVersion,
    },
    threads: THREADS,
    runs: cfg.runs,
    warmup: cfg.warmup,
    loads: cfg.loads,
    models,
    baseline,
    editor: { label: editorModel.label, lines: cfg.editor.lines, typingMs: cfg.editor.typingMs, results: editor },
    coldStart: coldStarts,
    remote,
    masked,
    notes,
  };
  const cellErrors = models.flatMap((m) =>
    Object.values(m.backends).flatMap((b) =>
      Object.entries(b?.rounds ?? {}).flatMap(([kind, sizes]) =>
        Object.entries(sizes)
          .filter(([, t]) => t.error)
          .map(([n, t]) => `${m.label}, ${kind}, ${n} tokens: ${t.error}`),
      ),
    ),
  );
  fs.mkdirSync(path.dirname(cfg.out), { recursive: true });
  fs.writeFileSync(cfg.out, renderReport(report));
  fs.mkdirSync(path.join(ROOT, 'test-output'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'test-output', cfg.quick ? 'benchmarks-quick.json' : 'benchmarks.json'), JSON.stringify(report, null, 1));
  console.log(`\nWrote ${path.relative(ROOT, cfg.out)} in ${(report.durationS / 60).toFixed(1)} min.`);
  if (cellErrors.length) console.log(`Rows that did not run at some sizes (reported in the table):\n  ${cellErrors.join('\n  ')}`);
  // The quick mode runs one small model that must run everywhere: any failure is a failure.
  if (cfg.quick) failures.push(...cellErrors);
  if (failures.length) {
    console.error(`\n${failures.length} measurement(s) failed:\n\n${failures.join('\n\n')}`);
    process.exit(1);
  }
}

/** Fresh processes, each timed from its first request to the default model's first analysis (coldStart.ts). */
/** An encoder's masked token probabilities on each backend (its model built in a child first: BERT-small's weights take memory). */
async function maskedRows(cfg: Config, backends: OrtBackend[], failures: string[]): Promise<MaskedReport | undefined> {
  const encoder = cfg.quick ? QUICK_ENCODER : BERT_SMALL;
  const n = cfg.quick ? 16 : 128;
  console.log(`\nMasked token probabilities with ${encoder.label}, ${n} tokens`);
  let model: string;
  try {
    model = await nodeChild<string>('prepareEncoder', { encoder }, `${encoder.label}: build`);
  } catch (e) {
    failures.push((e as Error).message);
    return undefined;
  }
  const results: Partial<Record<OrtBackend, MaskedResult>> = {};
  for (const backend of backends) {
    try {
      const spec = { model, backend, threads: THREADS, workerPath: WORKER, n, runs: cfg.quick ? 3 : cfg.sweep.runs + 2 };
      results[backend] = await nodeChild<MaskedResult>('masked', spec, `${backend}: masked token probabilities of ${n} tokens`);
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  return { label: encoder.label, results };
}

async function coldStartRows(cfg: Config, backends: OrtBackend[], failures: string[]): Promise<ColdStarts> {
  const tokens = 128;
  const text = inputsFor(DEFAULT_MODEL, [tokens]).get(tokens)!.text;
  const results: ColdStarts['results'] = {};
  console.log(
    `\nCold start: ${cfg.coldStarts} fresh process${cfg.coldStarts === 1 ? '' : 'es'} per backend, lens-tiny, then Explain Attention of ${tokens} tokens`,
  );
  // Backends alternate, so that a busy spell of the machine slows both alike.
  for (let i = 0; i < cfg.coldStarts; i++) {
    for (const backend of backends) {
      try {
        const r = await nodeChild<ColdStartResult>(
          'coldStart',
          { model: DEFAULT_MODEL, backend, threads: THREADS, workerPath: WORKER, text },
          `${backend}: cold start ${i + 1}/${cfg.coldStarts}`,
        );
        const { runtimeStartMs } = await nodeChild<{ runtimeStartMs: number }>(
          'runtimeStart',
          { backend, threads: THREADS },
          `${backend}: ONNX Runtime's start alone`,
        );
        (results[backend] ??= []).push({ ...r, runtimeStartMs });
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
  }
  return { tokens, results };
}

function machine(): Report['machine'] {
  let cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  try {
    cpu = /model name\s*:\s*(.+)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1].trim() ?? cpu;
  } catch {
    // Not Linux: os.cpus() said what it could.
  }
  return { cpu, cores: os.availableParallelism(), ramBytes: os.totalmem(), platform: `${os.type()} ${os.release()} ${os.arch()}` };
}

const [role, specFile] = process.argv.slice(2);
if (role && role in ROLES) {
  child(role, specFile).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  drive(process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
