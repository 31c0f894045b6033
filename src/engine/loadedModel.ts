// A model ready to analyse text: files found, tokenizer loaded, graph instrumented (see
// preparedModel.ts), session created and checked once on a fixed input. Runs inside the engine
// worker (or a test); it knows nothing of VS Code.
import { attentionMismatch, emptyStats, maskedStats, statsFromGraph, tokenStats } from './analysis';
import { ModelLensError } from './errors';
import type { ExecutionProviderSetting } from './executionProviders';
import { buildFeeds, int64s } from './inputs';
import { readJson } from './jsonFile';
import { attribute } from './attribution';
import { interventionFeeds } from './interventionFeeds';
import { collectActivations, hookExposures } from './activations';
import { blockHookExposures } from './instrument/blockHooks';
import type { InstrumentationPlan, NormPlan } from './instrument/plan';
import { resolveModelFiles, type ModelFiles } from './modelFolder';
import { rollout, rolloutModel } from './rollout';
import { hookFilter, hookGroups, hooks, parseHook } from '../shared/hooks';
import type { ValueInfo } from './onnx/model';
import type { Runner, RunnerFactory, Tensors } from './runner';
import { type Candidate, describeFailures, type Failure, failureNote, handOverNote, startFirst } from './runnerCandidates';
import { ortRunners } from './runtime';
import { checkedDiskReads } from './sessionBytes';
import { CHARS_PER_POSITION } from './textWindow';
import { readModel } from './preparedModel';
import { TextTokenizer } from './tokenizer';
import type { Analysis, AnalyzeOptions, Backend, Intervention, InterventionRuns, ModelInfo, NormInfo, TensorData } from './types';

export interface LoadOptions {
  backend: Backend;
  /** Native only: the execution provider asked for (default CPU); CPU takes over when it fails. */
  executionProvider?: ExecutionProviderSetting;
  /**
   * Runs the graph where the worker cannot (WebGPU in a webview). Without it, ONNX Runtime runs
   * in this thread; with it, ONNX Runtime WebAssembly stays ready to take over if it fails.
   */
  remote?: RunnerFactory;
  threads: number;
  /** Models larger than this (file plus external data) are refused before they are read. */
  maxModelBytes?: number;
  /** Predictions kept per layer and position by the logit lens (default LENS_TOP_K). */
  lensTopK?: number;
  /** Most bytes the lens' logits may take in all (default LENS_LOGITS_BYTES). */
  lensLogitsBytes?: number;
  /** Told when this model starts tokenizing or running a graph, with the file that step reads. */
  onPhase?: (phase: Phase, file: string) => void;
}

/** What a request is busy with (the worker notes 'loading' itself). */
export type Phase = 'loading' | 'tokenizing' | 'running';

/** Predictions the logit lens keeps per layer and position unless told otherwise. */
export const LENS_TOP_K = 10;

/** A short mixed input every model is checked on right after loading. */
const CHECK_TEXT = 'def add(a, b):\n    return a + b\n\nThe quick brown fox jumps over the lazy dog, and the dog sleeps.';
/**
 * Positions at the end of CHECK_TEXT the check runs the lens on: enough to compare with the
 * logits, few enough that the check does not grow the runtime's heap (which never shrinks) by
 * [layers + 1, positions, vocabulary] twice over.
 */
const CHECK_LENS_POSITIONS = 4;
/** A recomputed pattern must reproduce the fused operator's output this closely (relative). */
const RECOMPUTE_TOLERANCE = 1e-3;
/** How closely the lens' last row must give the model's own top probability (float32 / half). */
const LENS_TOLERANCE = 1e-3;
const LENS_TOLERANCE_HALF = 2e-2;
/**
 * Most bytes the logit lens' logits may take in all (GPT-2 small: about 100 positions); on
 * WebAssembly and WebGPU the runtime holds one chunk's at a time (see LENS_CHUNKS), with its
 * probabilities.
 */
export const LENS_LOGITS_BYTES = 256 * 1024 * 1024;

/**
 * Most bytes of logits ([rows, positions, vocabulary]) one batched pass of intervention runs may
 * make: the runtime's heap keeps its largest size, and WebAssembly's is at most 4 GB.
 */
export const INTERVENTION_BATCH_BYTES = 64 * 1024 * 1024;
/** Beyond this many rows a batch runs no faster per row on a CPU. */
export const MAX_BATCH = 16;

/** How many positions the lens runs on at most: its float32 logits are [rows, positions, vocab]. */
export function lensPositionLimit(rows: number, vocab: number, bytes = LENS_LOGITS_BYTES): number {
  return Math.max(1, Math.floor(bytes / (rows * vocab * 4)));
}

function loadTokenizer(files: ModelFiles): TextTokenizer {
  const json = readJson(files.tokenizer, 'bad-tokenizer');
  const config = readJson(files.tokenizerConfig, 'bad-tokenizer');
  try {
    return new TextTokenizer(json, config);
  } catch (e) {
    throw new ModelLensError({
      code: 'bad-tokenizer',
      message: `The tokenizer could not be loaded (${(e as Error).message}).`,
      file: files.tokenizer,
      hint: 'Model Lens reads Hugging Face tokenizer.json files; copy the one that belongs to this model.',
    });
  }
}

/** The plan of a graph that could not be instrumented: logits only, every layer explained (the reason is the model's note too). */
function logitsOnlyPlan(plan: InstrumentationPlan, reason: string): InstrumentationPlan {
  const attention = { kind: 'unavailable' as const, reason };
  return {
    layers: plan.layers.map(() => ({ attention })),
    interventions: [],
    logits: plan.logits,
    classes: plan.classes,
    postNorm: plan.postNorm,
    notes: plan.notes,
  };
}

export class LoadedModel {
  private rolloutRunner: Promise<Runner> | undefined;
  /** Each hook's shape after its position axis, as the check run found it. */
  private readonly hookShapes = new Map<string, number[]>();
  /** The graph inputs of lens rows; fed even when the lens turned out unusable. */
  private readonly lensInputs: string[];

  /**
   * What the model is, as callers see it: frozen, and replaced (never changed) when something
   * changes — the check run's sizes, a backend that handed over — so a copy held elsewhere stays
   * what it was when taken.
   */
  private current: Readonly<ModelInfo>;

  private constructor(
    info: ModelInfo,
    private runner: Runner,
    /** What runs the model now. */
    private candidate: Candidate,
    /** Where the runner hands over when it fails (see runnerCandidates.ts); holds the model's bytes until then. */
    private handOver: Candidate[],
    private readonly local: RunnerFactory,
    private plan: InstrumentationPlan,
    private readonly inputs: ValueInfo[],
    private readonly tokenizer: TextTokenizer,
    private readonly embeddingRows: number | undefined,
    private readonly lensLogitsBytes: number,
    private readonly notePhase: (phase: 'tokenizing' | 'running') => void,
    /** Whether runs of one text may share a forward pass; cleared when a batched pass fails. */
    private batchable: boolean,
  ) {
    this.lensInputs = plan.lens?.rowsInputs ?? [];
    this.current = Object.freeze(info);
  }

  get info(): Readonly<ModelInfo> {
    return this.current;
  }

  /** Replaces the model's description with `change` applied. */
  private revise(change: Partial<ModelInfo>): void {
    this.current = Object.freeze({ ...this.current, ...change });
  }

  static async load(target: string, options: LoadOptions): Promise<LoadedModel> {
    const files = resolveModelFiles(target);
    const tokenizer = loadTokenizer(files);
    const config = readJson(files.config, 'load-failed');
    const tokenizerConfig = readJson(files.tokenizerConfig, 'bad-tokenizer');
    // Everything that needs the model's bytes in memory happens in readModel: once it returns,
    // only what a runner needs is left (for WebAssembly, the graph without its weights).
    const prepared = readModel(
      files,
      { backend: options.backend, maxModelBytes: options.maxModelBytes, lensTopK: options.lensTopK ?? LENS_TOP_K, remote: !!options.remote },
      tokenizer.vocabSize,
      config,
      tokenizerConfig,
    );
    const { plan, inputs } = prepared;
    const local =
      options.backend === 'native'
        ? ortRunners('native', options.threads, true, options.executionProvider)
        : checkedDiskReads(ortRunners('wasm', options.threads));
    // Tried in turn (runnerCandidates.ts): the remote runner, then this thread's; the instrumented
    // graph, then, so that probabilities keep working, the model as it is.
    const here: Backend = options.remote ? 'wasm' : options.backend;
    const candidates: Candidate[] = [
      ...(options.remote
        ? [{ backend: options.backend, graph: 'instrumented' as const, bytes: () => prepared.instrumented.remote!, start: options.remote }]
        : []),
      { backend: here, graph: 'instrumented', bytes: () => prepared.instrumented.local, start: local },
      { backend: here, graph: 'plain', bytes: () => prepared.plain().local, start: local },
    ];
    const started = await startFirst(
      candidates,
      (failures) =>
        new ModelLensError({
          code: 'load-failed',
          message: `ONNX Runtime could not load the model (${describeFailures(failures)}).`,
          file: files.onnx,
          hint: 'Check that the file is a complete ONNX export; Model Lens runs the ONNX and com.microsoft operators of ONNX Runtime 1.30.',
        }),
    );
    const { candidate, runner, failures } = started;
    const backend = candidate.backend;
    const note = (f: Failure | undefined) => f && failureNote(f, candidate);
    let sessionPlan = plan;
    if (candidate.graph === 'plain') {
      sessionPlan = logitsOnlyPlan(plan, note(failures.filter((f) => f.candidate.graph === 'instrumented').at(-1))!);
      inputs.length = prepared.modelInputs;
    }
    const info: ModelInfo = {
      name: files.name,
      folder: files.folder,
      file: files.onnx,
      otherFiles: files.otherOnnx,
      fileBytes: prepared.fileBytes,
      producer: prepared.producer,
      architecture: typeof config.model_type === 'string' ? config.model_type : undefined,
      precision: prepared.precision,
      parameters: prepared.parameters,
      layers: plan.layers.length,
      heads: 0,
      dModel: 0,
      dHead: 0,
      dMlp: 0,
      vocab: 0,
      positions: prepared.positions,
      backend,
      threads: options.threads,
      // Until the check run has seen how the model behaves.
      predicts: sessionPlan.classes ? 'classes' : 'next',
      bidirectional: false,
      postNorm: sessionPlan.postNorm === true,
      classLabels: sessionPlan.classes ? configLabels(config) : undefined,
      layerInfo: sessionPlan.layers.map((l) => ({
        attention: l.attention,
        ln1: normInfo(l.ln1),
        ln2: normInfo(l.ln2),
        activation: l.activation,
        rotary: l.rotary && { op: l.rotary.op, pairing: l.rotary.pairing, heads: l.rotary.heads },
      })),
      lnFinal: normInfo(sessionPlan.lnFinal),
      notes: [...prepared.notes, ...sessionPlan.notes, ...failures.map((f) => failureNote(f, candidate))],
      backendFallback: note(failures.filter((f) => f.candidate.backend !== backend).at(-1)),
      interventionHooks: sessionPlan.interventions.flatMap((site) => ('mask' in site ? site.hooks : [])),
    };
    const notePhase = (phase: 'tokenizing' | 'running') => options.onPhase?.(phase, phase === 'tokenizing' ? files.tokenizer : files.onnx);
    const loaded = new LoadedModel(
      info,
      runner,
      candidate,
      started.handOver,
      local,
      sessionPlan,
      inputs,
      tokenizer,
      prepared.embeddingRows,
      options.lensLogitsBytes ?? LENS_LOGITS_BYTES,
      notePhase,
      prepared.batchable,
    );
    await loaded.check();
    // Read after the check: a provider whose first run failed has handed over to CPU.
    if (runner.provider) loaded.revise({ executionProvider: { ...runner.provider } });
    return loaded;
  }

  /**
   * One analysis of a fixed text fills in the sizes only a run reveals, and proves that every
   * recomputed pattern reproduces its fused operator and that the lens ends at the logits.
   */
  private async check(): Promise<void> {
    // Ids beyond the embedding table are folded into it: a tokenizer larger than the model
    // (common in test exports) must not stop the check, which needs ids, not meaning.
    const { tokens } = this.tokenize(CHECK_TEXT);
    const rows = this.embeddingRows ?? Infinity;
    const checkTokens = tokens.map((t) => (t.id < rows ? t : { ...t, id: t.id % rows }));
    const lensFrom = checkTokens[Math.max(0, checkTokens.length - CHECK_LENS_POSITIONS)].start;
    const analysis = await this.run(
      checkTokens,
      { exactOffsets: true, droppedChars: 0 },
      { hooks: [...hookGroups.attention, ...hookGroups.activations], selectionStart: lensFrom, lens: 'selection', logits: true, topK: 2 },
    );
    const a = analysis.activations;
    for (const [hook, t] of Object.entries(a)) this.hookShapes.set(hook, t.shape.slice(1));
    const sizes = { vocab: analysis.vocab, heads: 0, dHead: 0, dMlp: 0, dModel: a[hooks.residPre(0)]?.shape[1] ?? 0 };
    const layerInfo = [...this.info.layerInfo];
    this.plan.layers.forEach((layer, L) => {
      const pattern = a[hooks.attn(L, 'pattern')];
      const q = a[hooks.attn(L, 'q')];
      if (pattern) sizes.heads = Math.max(sizes.heads, pattern.shape[0]);
      if (q) sizes.dHead = q.shape[2];
      const mlp = a[hooks.mlpPost(L)];
      if (mlp) sizes.dMlp = mlp.shape[1];
      if (layer.attention.kind !== 'recomputed' || !pattern) return;
      const error = attentionMismatch(pattern, a[hooks.attn(L, 'v')], a[hooks.attn(L, 'z')]);
      layerInfo[L] = { ...layerInfo[L], checkError: error };
      if (error <= RECOMPUTE_TOLERANCE) return;
      // The pattern is not shown: its tensors are not fetched again, and the layer says why.
      const attention = {
        kind: 'unavailable' as const,
        reason: `the recomputed pattern did not reproduce the ${layer.attention.op} output (relative error ${error.toExponential(1)})`,
      };
      const { pattern: _p, q: _q, k: _k, v: _v, z: _z, ...kept } = layer;
      this.plan.layers[L] = { ...kept, attention };
      layerInfo[L] = { ...layerInfo[L], attention };
    });
    const notes = [...this.info.notes];
    if (analysis.lens && !lensMatchesLogits(analysis, this.info.precision === 'float32' ? LENS_TOLERANCE : LENS_TOLERANCE_HALF)) {
      this.plan = { ...this.plan, lens: undefined };
      notes.push('the logit lens is unavailable: replaying the model head on the last layer did not reproduce the logits');
    }
    // Class names come from config.json; a classifier without them has LABEL_0, LABEL_1, … as
    // Hugging Face names them.
    const classes = analysis.classes?.length;
    const classLabels = classes ? Array.from({ length: classes }, (_, i) => this.info.classLabels?.[i] ?? `LABEL_${i}`) : undefined;
    const bidirectional = (await this.seesLaterTokens(checkTokens)) ?? false;
    const predicts = this.plan.classes ? 'classes' : bidirectional ? 'masked' : 'next';
    if (predicts === 'masked' && this.tokenizer.maskId === undefined) {
      notes.push(
        'token probabilities are unavailable: the model sees the whole text (bidirectional attention), so a token’s probability needs the token masked, and the tokenizer names no mask token (mask_token in tokenizer_config.json)',
      );
    }
    this.revise({ ...sizes, layerInfo, notes, predicts, bidirectional, classLabels });
  }

  /** Tokens of a text, truncated from the start to the model's window (a BOS prefix is kept). */
  private tokenize(text: string): { tokens: Analysis['tokens']; exactOffsets: boolean; droppedChars: number } {
    const limit = this.info.positions;
    // A huge text is cut before tokenizing: only its end can fit the window anyway.
    this.notePhase('tokenizing');
    const cut = Math.max(0, text.length - limit * CHARS_PER_POSITION);
    const start = cut > 0 && /[\uDC00-\uDFFF]/.test(text[cut]) ? cut + 1 : cut;
    const { tokens, exactOffsets } = this.tokenizer.encode(text.slice(start));
    for (const t of tokens) {
      t.start += start;
      t.end += start;
    }
    if (tokens.length <= limit && start === 0) return { tokens, exactOffsets, droppedChars: 0 };
    const prefix = this.tokenizer.prefixIds().length;
    const kept = [...tokens.slice(0, prefix), ...tokens.slice(Math.max(prefix, tokens.length - (limit - prefix)))];
    const firstText = kept[prefix] ?? kept[kept.length - 1];
    return { tokens: kept, exactOffsets, droppedChars: firstText ? firstText.start : 0 };
  }

  private checkIds(tokens: Analysis['tokens']): void {
    const rows = this.embeddingRows;
    const bad = rows === undefined ? undefined : tokens.find((t) => t.id >= rows);
    if (bad) {
      throw new ModelLensError({
        code: 'token-out-of-range',
        message: `The token "${bad.text}" has id ${bad.id}, but the model's embedding table has only ${rows} rows: the tokenizer does not belong to this model.`,
        file: this.info.folder,
        hint: "Put the model's own tokenizer.json next to it.",
      });
    }
  }

  async analyze(text: string, options: AnalyzeOptions = {}): Promise<Analysis> {
    const { tokens, exactOffsets, droppedChars } = this.tokenize(text);
    if (tokens.length === 0) throw new ModelLensError({ code: 'run-failed', message: 'There is no text to analyse.' });
    this.checkIds(tokens);
    return this.run(tokens, { exactOffsets, droppedChars }, options);
  }

  /**
   * Analyses token ids as they are, for inputs no text produces (e.g. a random sequence repeated,
   * to measure induction heads). Tokens carry their vocabulary text and no offsets.
   */
  async analyzeIds(ids: readonly number[], options: AnalyzeOptions = {}): Promise<Analysis> {
    const tokens = ids.map((id) => ({ id, text: this.tokenizer.display(id), start: 0, end: 0, special: false }));
    if (tokens.length === 0 || tokens.length > this.info.positions) {
      throw new ModelLensError({ code: 'run-failed', message: `Give between 1 and ${this.info.positions} token ids.` });
    }
    this.checkIds(tokens);
    return this.run(tokens, { exactOffsets: false, droppedChars: 0 }, options);
  }

  private async run(tokens: Analysis['tokens'], text: { exactOffsets: boolean; droppedChars: number }, options: AnalyzeOptions): Promise<Analysis> {
    // TopK fails for k above the vocabulary, which the first run (the check) does not know yet.
    const k = this.plan.classes ? 0 : Math.min(options.topK ?? 10, this.info.vocab || Infinity);
    const ids = tokens.map((t) => t.id);
    const plan = this.plan;
    const firstSelected = firstTokenFrom(tokens, options.selectionStart ?? 0);
    const asked = options.lens === true ? 0 : options.lens === 'selection' && firstSelected < tokens.length ? firstSelected : -1;
    // The lens' logits are [layers + 1, positions, vocabulary] inside the runtime: keep them within
    // a memory budget by running it on the last positions only (the rest is said by lens.from).
    const streams = plan.lens?.streams ?? 0;
    const lensPositions = this.info.vocab ? lensPositionLimit(streams, this.info.vocab, this.lensLogitsBytes) : Infinity;
    const lensFrom = asked < 0 ? -1 : Math.max(asked, tokens.length - lensPositions);
    const lens = lensFrom >= 0 ? plan.lens : undefined;
    const own: Tensors = {};
    const rows = lens ? lensRows(streams, lensFrom, ids.length) : [];
    chunked(rows, this.lensInputs.length).forEach((part, c) => (own[this.lensInputs[c]] = int64s(part)));
    // A masked model's statistics come from its masked copies: the graph's next-token ones are
    // fed idle (no targets, top 1) and not fetched.
    const predicts = this.info.predicts;
    const stats = predicts === 'next' ? plan.nextToken : undefined;
    if (plan.nextToken) {
      own[plan.nextToken.targetsInput] = int64s(stats ? [...ids.slice(1), 0] : []);
      own[plan.nextToken.topKInput] = int64s([stats ? k : 1]);
    }
    const wanted = hookFilter(options.hooks ?? []);
    // The rollout is made from the patterns, asked for or not; the analysis returns what was asked.
    const fetched = hookExposures(plan).filter(([name]) => wanted(name) || (options.rollout && parseHook(name)?.kind === 'attn.pattern'));
    // The block hooks' computations run only when one of them is asked for.
    const blockHooks = new Set(blockHookExposures(plan).map(([name]) => name));
    if (plan.blockHooksInput) own[plan.blockHooksInput] = int64s(fetched.some(([name]) => blockHooks.has(name)) ? [1] : []);
    Object.assign(own, await this.interventionFeeds(tokens, text, [options.interventions ?? []]));
    const attribution = this.attributionFeeds(own, ids, options.attribution);
    const feeds = buildFeeds(this.inputs, ids, own, this.info.file);
    // The logits themselves leave the runtime only when asked for, or when nothing else gives the statistics.
    const fetches = new Set(
      stats ? [stats.topProbs, stats.topIds, stats.entropy, stats.targetProb, stats.above] : predicts === 'masked' && plan.nextToken ? [] : [plan.logits],
    );
    if (options.logits) fetches.add(plan.logits);
    for (const [, e] of fetched) fetches.add(e.output);
    if (lens) {
      fetches.add(lens.probs);
      fetches.add(lens.ids);
    }
    for (const name of attribution?.fetches ?? []) fetches.add(name);
    // ONNX Runtime needs something to fetch: a masked model asked for nothing else gives its logits.
    if (fetches.size === 0) fetches.add(plan.logits);
    const started = performance.now();
    const outputs = await this.forward(feeds, [...fetches]);
    const forwardMs = performance.now() - started;
    const logits = outputs[plan.logits];
    const positions = stats ? outputs[stats.topIds].dims[0] : logits?.dims.length === 3 ? logits.dims[1] : ids.length;
    if (positions !== ids.length) {
      throw new ModelLensError({
        code: 'run-failed',
        message: `The model returned logits for ${positions} of ${ids.length} positions; Model Lens needs logits for every position.`,
        file: this.info.file,
      });
    }
    const vocab = plan.classes ? (this.embeddingRows ?? this.tokenizer.vocabSize) : (logits?.dims[2] ?? this.info.vocab);
    const statistics =
      predicts === 'classes'
        ? emptyStats(positions, 0)
        : predicts === 'masked'
          ? maskedStats(await this.maskedRows(tokens, text, options.interventions ?? []), ids, k)
          : stats
            ? statsFromGraph(
                outputs[stats.topProbs].data as Float32Array,
                outputs[stats.topIds].data as Int32Array,
                outputs[stats.entropy].data as Float32Array,
                outputs[stats.targetProb].data as Float32Array,
                outputs[stats.above].data as Float32Array,
              )
            : tokenStats(logits.data as Float32Array, positions, vocab, ids, Math.min(k, vocab));
    const classes = plan.classes ? classProbabilities(logits.data as Float32Array, this.info.classLabels) : undefined;
    const collected = collectActivations(plan, outputs);
    const activations = Object.fromEntries(Object.entries(collected).filter(([name]) => wanted(name)));
    const lensIds = lens ? (outputs[lens.ids].data as Int32Array) : undefined;
    const pieces: Record<number, string> = {};
    for (const ids of [statistics.topIds, lensIds]) for (const id of ids ?? []) pieces[id] ??= this.tokenizer.display(id);
    return {
      modelName: this.info.name,
      ...text,
      predicts,
      classes,
      tokens,
      firstSelected,
      ...statistics,
      topK: k && statistics.topIds.length / positions,
      activations,
      // A classifier's logits are one row of class scores for the whole text, not one per position.
      logits: options.logits ? { shape: plan.classes ? [1, logits.data.length] : [positions, vocab], data: logits.data as Float32Array } : undefined,
      rollout: options.rollout ? await this.rollout(collected) : undefined,
      lens: lens && lensIds ? { ids: lensIds, probs: outputs[lens.probs].data as Float32Array, rows: lens.streams, k: lens.k, from: lensFrom } : undefined,
      pieces,
      forwardMs,
      backend: this.info.backend,
      backendFallback: this.info.backendFallback,
      vocab,
      interventions: options.interventions?.map(({ source: _, ...made }) => made),
      attribution:
        attribution && plan.attribution ? attribute(plan.attribution, outputs, attribution.position, (L) => collected[hooks.attn(L, 'pattern')]) : undefined,
    };
  }

  /**
   * Feeds the attribution's inputs (empty unless asked for, so its graph does not run) and says
   * what to fetch for it: its outputs and the patterns of the layers whose heads it splits.
   */
  private attributionFeeds(own: Tensors, ids: number[], asked: AnalyzeOptions['attribution']): { position: number; fetches: string[] } | undefined {
    const plan = this.plan.attribution;
    if (!plan) {
      if (asked)
        throw new ModelLensError({
          code: 'unsupported-input',
          message: `Direct logit attribution is unavailable for this model: ${this.info.notes.find((n) => n.includes('attribution')) ?? 'its residual stream was not found'}.`,
          file: this.info.file,
        });
      return undefined;
    }
    own[plan.positionInput] = int64s([0]);
    own[plan.tokensInput] = int64s([]);
    if (!asked) return undefined;
    if (!Number.isInteger(asked.position) || asked.position < 1 || asked.position >= ids.length) {
      throw new ModelLensError({
        code: 'unsupported-input',
        message: `Attribution explains a token predicted from text before it: choose a position from 1 to ${ids.length - 1} (got ${asked.position}).`,
      });
    }
    const vocab = this.info.vocab;
    const outside = [asked.target, asked.foil].find((id) => id !== undefined && !(Number.isInteger(id) && id >= 0 && id < vocab));
    if (outside !== undefined)
      throw new ModelLensError({ code: 'unsupported-input', message: `Token id ${outside} is not in the model's vocabulary of ${vocab}.` });
    own[plan.positionInput] = int64s([asked.position - 1]);
    own[plan.tokensInput] = int64s([asked.target ?? ids[asked.position], asked.foil ?? -1]);
    const patterns = plan.heads.map((h) => this.plan.layers[h.layer].pattern?.output).filter((o): o is string => !!o);
    const outputs = [
      plan.components,
      plan.stream,
      plan.tokens,
      plan.logits,
      plan.unembed,
      plan.gamma,
      plan.beta,
      plan.unembedBias,
      ...plan.heads.flatMap((h) => [h.output, h.sourceProjection, h.sourceMean]),
    ];
    return { position: asked.position, fetches: [...outputs.filter((o): o is string => !!o), ...patterns] };
  }

  /**
   * The graph inputs of a batch of runs' interventions (`runs[b]` for row b). Mean ablation
   * needs the hooks' values without interventions, from a run of its own; the other modes only
   * their shapes.
   */
  private async interventionFeeds(tokens: Analysis['tokens'], text: { exactOffsets: boolean; droppedChars: number }, runs: Intervention[][]): Promise<Tensors> {
    const clean = runs.some((run) => run.some((i) => i.mode === 'mean'))
      ? (await this.run(tokens, text, { hooks: [...hookGroups.attention, ...hookGroups.activations] })).activations
      : {};
    return interventionFeeds(this.plan.interventions, runs, (hook) => {
      if (clean[hook]) return clean[hook];
      const rest = this.hookShapes.get(hook);
      return rest && { shape: [tokens.length, ...rest], data: new Float32Array(rest.reduce((a, b) => a * b, tokens.length)) };
    });
  }

  /**
   * Runs `text` once for each list of interventions in `runs` and returns only what a sweep
   * compares: the logits after the last token. Runs share forward passes as rows of a batch
   * when the model allows it, as many as fit INTERVENTION_BATCH_BYTES of logits; one at a time
   * otherwise.
   */
  async interventionRuns(text: string, runs: Intervention[][]): Promise<InterventionRuns> {
    const { tokens, exactOffsets, droppedChars } = this.tokenize(text);
    if (tokens.length === 0) throw new ModelLensError({ code: 'run-failed', message: 'There is no text to analyse.' });
    this.checkIds(tokens);
    const ids = tokens.map((t) => t.id);
    const n = ids.length;
    const vocab = this.info.vocab;
    const logits = new Float32Array(runs.length * vocab);
    const batch = await this.inBatches(runs.length, n, async (start, count) => {
      const rows = runs.slice(start, start + count);
      const data = (await this.batchPass(ids, tokens, { exactOffsets, droppedChars }, rows))[this.plan.logits].data as Float32Array;
      rows.forEach((_, b) => logits.set(data.subarray((b * n + n - 1) * vocab, (b * n + n) * vocab), (start + b) * vocab));
    });
    return { tokens: n, logits: { shape: [runs.length, vocab], data: logits }, batch };
  }

  /**
   * Runs `pass(start, count)` over `total` rows of `n` tokens: as rows of a batch when the model
   * allows it, as many as fit INTERVENTION_BATCH_BYTES of logits; one at a time otherwise.
   * Returns the most rows that shared a pass.
   */
  private async inBatches(total: number, n: number, pass: (start: number, count: number) => Promise<void>): Promise<number> {
    const rowsPerPass = () => (this.batchable ? Math.max(1, Math.min(MAX_BATCH, Math.floor(INTERVENTION_BATCH_BYTES / (n * this.info.vocab * 4)))) : 1);
    let batch = 1;
    for (let start = 0; start < total; ) {
      const count = Math.min(rowsPerPass(), total - start);
      try {
        await pass(start, count);
      } catch (e) {
        // A graph that fixes the batch inside (a Reshape to [1, …]) fails only when run: from
        // then on its runs go one at a time.
        if (count === 1 || e instanceof ModelLensError) throw e;
        this.batchable = false;
        this.revise({ notes: [...this.info.notes, `Runs of one text go one at a time: a batch of ${count} failed (${(e as Error).message}).`] });
        continue;
      }
      batch = Math.max(batch, count);
      start += count;
    }
    return batch;
  }

  /**
   * For a masked language model: at each position that is not a special token, the logits
   * [vocab] the model gives it when its token is replaced by the mask token (one text per
   * position, in batches), with the run's `interventions` made in every copy (a mean ablation's
   * mean is the unmasked text's). None without a mask token.
   */
  private async maskedRows(
    tokens: Analysis['tokens'],
    text: { exactOffsets: boolean; droppedChars: number },
    interventions: Intervention[],
  ): Promise<Map<number, Float32Array>> {
    const rows = new Map<number, Float32Array>();
    const mask = this.tokenizer.maskId;
    if (mask === undefined) return rows;
    const ids = tokens.map((t) => t.id);
    const n = ids.length;
    const vocab = this.info.vocab;
    const positions = tokens.flatMap((t, i) => (t.special ? [] : [i]));
    await this.inBatches(positions.length, n, async (start, count) => {
      const part = positions.slice(start, start + count);
      const masked = part.map((p) => ids.map((id, i) => (i === p ? mask : id)));
      const out = await this.batchPass(
        ids,
        tokens,
        text,
        masked.map(() => interventions),
        masked,
      );
      const data = out[this.plan.logits].data as Float32Array;
      part.forEach((p, b) => rows.set(p, data.slice((b * n + p) * vocab, (b * n + p + 1) * vocab)));
    });
    return rows;
  }

  /**
   * Whether a position's output depends on the tokens after it (an encoder's bidirectional
   * attention): the text run again with its last token changed, and its first positions
   * compared — the logits, or a classifier's last block stream. Undefined when nothing per
   * position can be compared.
   */
  private async seesLaterTokens(tokens: Analysis['tokens']): Promise<boolean | undefined> {
    const probe = this.plan.classes ? this.plan.layers.at(-1)?.residPost?.output : this.plan.logits;
    const n = tokens.length;
    if (!probe || n < 2) return undefined;
    const ids = tokens.map((t) => t.id);
    const changed = ids.map((id, i) => (i === n - 1 ? (id + 1) % (this.embeddingRows ?? (this.info.vocab || id + 2)) : id));
    const text = { exactOffsets: true, droppedChars: 0 };
    const [a, b] = [
      (await this.batchPass(ids, tokens, text, [[]], [ids], probe))[probe].data as Float32Array,
      (await this.batchPass(ids, tokens, text, [[]], [changed], probe))[probe].data as Float32Array,
    ];
    const before = ((n - 1) * a.length) / n;
    for (let i = 0; i < before; i++) if (Math.abs(a[i] - b[i]) > 1e-5 * (1 + Math.abs(a[i]))) return true;
    return false;
  }

  /**
   * One forward pass of `ids` (or of `rowIds`, as many texts of the same length) in as many batch
   * rows as `runs`, fetching only `fetch`: by default the logits [runs, n, vocab].
   */
  private async batchPass(
    ids: number[],
    tokens: Analysis['tokens'],
    text: { exactOffsets: boolean; droppedChars: number },
    runs: Intervention[][],
    rowIds?: number[][],
    fetch = this.plan.logits,
  ): Promise<Tensors> {
    const plan = this.plan;
    // ONNX Runtime runs every node whatever is fetched: the lens, statistics, block hooks and
    // attribution are fed inputs that leave their Ifs idle.
    const own: Tensors = {};
    for (const input of this.lensInputs) own[input] = int64s([]);
    if (plan.nextToken) {
      own[plan.nextToken.targetsInput] = int64s([]);
      own[plan.nextToken.topKInput] = int64s([1]);
    }
    if (plan.blockHooksInput) own[plan.blockHooksInput] = int64s([]);
    this.attributionFeeds(own, ids, undefined);
    Object.assign(own, await this.interventionFeeds(tokens, text, runs));
    const feeds = buildFeeds(this.inputs, ids, own, this.info.file, runs.length, rowIds);
    if (runs.length === 1) return this.forward(feeds, [fetch]);
    // Not forward(): a batched pass that fails says nothing about the backend, only about batching.
    this.notePhase('running');
    return this.runner.run(feeds, [fetch]);
  }

  /**
   * One forward pass. A remote runner that fails (the GPU went away, the webview closed) hands
   * over to the next candidate with the same graph, ONNX Runtime in this thread, and the pass is
   * run again: nothing is lost.
   */
  private async forward(feeds: Tensors, fetches: string[]): Promise<Tensors> {
    this.notePhase('running');
    try {
      return await this.runner.run(feeds, fetches);
    } catch (e) {
      const reason = (e as Error).message;
      const failed = (more = '') =>
        new ModelLensError({ code: 'run-failed', message: `The model failed on this input (${reason}${more}).`, file: this.info.file });
      const handOver = this.handOver;
      if (handOver.length === 0) throw failed();
      this.handOver = [];
      void this.runner.release().catch(() => undefined);
      const next = await startFirst(handOver, (failures) => failed(`; no other runner could take over: ${describeFailures(failures)}`));
      const note = handOverNote(this.candidate, reason, next.candidate);
      this.runner = next.runner;
      this.candidate = next.candidate;
      this.handOver = next.handOver;
      this.revise({
        backend: next.candidate.backend,
        backendFallback: note,
        notes: [...this.info.notes, ...next.failures.map((f) => failureNote(f, next.candidate)), note],
      });
      return this.forward(feeds, fetches);
    }
  }

  private async rollout(activations: Record<string, TensorData>): Promise<TensorData | undefined> {
    const patterns = this.plan.layers.map((_, L) => activations[hooks.attn(L, 'pattern')]);
    if (patterns.length === 0 || patterns.some((p) => !p || p.shape[0] !== patterns[0].shape[0])) return undefined;
    this.rolloutRunner ??= this.local({ model: rolloutModel(patterns.length), externalData: [] });
    return rollout(await this.rolloutRunner, patterns);
  }

  async release(): Promise<void> {
    await this.runner.release();
    await (await this.rolloutRunner)?.release();
  }
}

/** config.json's id2label in class order, where it names every class from 0. */
function configLabels(config: Record<string, unknown>): string[] | undefined {
  const names = config.id2label;
  if (!names || typeof names !== 'object') return undefined;
  const entries = Object.entries(names as Record<string, unknown>);
  const labels = entries.map((_, i) => (names as Record<string, unknown>)[String(i)]);
  return labels.every((l): l is string => typeof l === 'string') ? labels : undefined;
}

/** A classifier's logits [1, classes] as probabilities, named. */
function classProbabilities(logits: Float32Array, labels: readonly string[] | undefined): { label: string; prob: number }[] {
  const max = Math.max(...logits);
  const exps = Array.from(logits, (x) => Math.exp(x - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e, i) => ({ label: labels?.[i] ?? `LABEL_${i}`, prob: e / total }));
}

function normInfo(norm: NormPlan | undefined): NormInfo | undefined {
  return norm && { kind: norm.kind, op: norm.op, epsilon: norm.epsilon };
}

/** Rows of the stacked stream [stream, position] for every stream at positions from..end, stream-major. */
function lensRows(streams: number, from: number, positions: number): number[] {
  const rows: number[] = [];
  for (let s = 0; s < streams; s++) for (let p = from; p < positions; p++) rows.push(s * positions + p);
  return rows;
}

/** `rows` split in order across `chunks` runs of at most ceil(rows / chunks); the last runs may be empty. */
function chunked(rows: number[], chunks: number): number[][] {
  const size = Math.max(1, Math.ceil(rows.length / chunks));
  return Array.from({ length: chunks }, (_, c) => rows.slice(c * size, (c + 1) * size));
}

/**
 * The lens' last row must be the model's own prediction at every position, to within the
 * precision the model computes in (the lens' softmax runs in the model's type; the logits'
 * statistics in float32). A different top id is fine only where the model's top two tie.
 */
function lensMatchesLogits(analysis: Analysis, tolerance: number): boolean {
  const lens = analysis.lens!;
  const positions = analysis.tokens.length - lens.from;
  const last = (lens.rows - 1) * positions * lens.k;
  for (let p = 0; p < positions; p++) {
    const i = last + p * lens.k;
    const top = (lens.from + p) * analysis.topK;
    if (Math.abs(lens.probs[i] - analysis.topProbs[top]) > tolerance) return false;
    const tie = analysis.topK > 1 && analysis.topProbs[top] - analysis.topProbs[top + 1] <= tolerance;
    if (lens.ids[i] !== analysis.topIds[top] && !tie) return false;
  }
  return true;
}

/** Index of the first token, not special, that reaches past character `start`; tokens.length when none does. */
function firstTokenFrom(tokens: Analysis['tokens'], start: number): number {
  const i = tokens.findIndex((t) => !t.special && t.end > start);
  return i < 0 ? tokens.length : i;
}
