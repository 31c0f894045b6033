// The things a benchmark row times, behind one small interface: a plain ONNX Runtime session on
// the unmodified model (the baseline, alone or followed by a plain language-model head on the
// logit lens' rows), and Model Lens through EngineClient, the worker exactly as the extension
// uses it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineClient } from '../../src/engine/client';
import { lensPositionLimit } from '../../src/engine/loadedModel';
import { patchingSweep, type SweepEngine } from '../../src/engine/patching';
import { resolveModelFiles } from '../../src/engine/modelFolder';
import type { Runner as EngineRunner, RunnerFactory, Tensors } from '../../src/engine/runner';
import { ortRunners } from '../../src/engine/runtime';
import { TextTokenizer } from '../../src/engine/tokenizer';
import type { AnalyzeOptions, ModelInfo } from '../../src/engine/types';
import { transferables } from '../../src/engine/workerProtocol';
import { hookGroups, hooks } from '../../src/shared/hooks';
import { headModel, HEAD_INPUT } from './models';
import { codeText, textWithTokens } from './text';

/**
 * `plain`: the uninstrumented forward. `pluslens`: the same, then a plain head on as many rows as
 * the full analysis' logit lens runs (the arithmetic the lens cannot avoid). The others are
 * Model Lens analyses (ANALYZE_OPTIONS); `ablated` is the full one with a head switched off.
 */
export type RowKind = 'plain' | 'pluslens' | 'full' | 'nolens' | 'rollout' | 'ablated';
export const PLAIN_KINDS: ReadonlySet<RowKind> = new Set(['plain', 'pluslens']);
/** The backends that run in Node (WebGPU runs in a webview and is not measured here). */
export type OrtBackend = 'wasm' | 'native';

/** What each Model Lens row asks of the engine. */
export const ANALYZE_OPTIONS: Record<Exclude<RowKind, 'plain' | 'pluslens'>, AnalyzeOptions> = {
  full: { hooks: [...hookGroups.attention, ...hookGroups.activations], lens: true },
  nolens: { hooks: [...hookGroups.attention, ...hookGroups.activations], lens: false },
  rollout: { hooks: [...hookGroups.attention, ...hookGroups.activations], lens: true, rollout: true },
  ablated: {
    hooks: [...hookGroups.attention, ...hookGroups.activations],
    lens: true,
    interventions: [{ hook: hooks.attn(0, 'z'), mode: 'zero', indices: [0] }],
  },
};

export interface RunResult {
  /** Wall time of the call, as its caller waits for it. */
  ms: number;
  /** Model Lens only: the runtime's own forward pass, inside the worker. */
  forwardMs?: number;
  /** Model Lens only: bytes of the ArrayBuffers the worker transferred to the host. */
  bytes?: number;
}

/** One text per token count, and the ids the model's tokenizer gives it. */
export interface Inputs {
  text: string;
  ids: number[];
}

/** Texts of exactly n tokens for each size, made with the model's own tokenizer. */
export function inputsFor(model: string, sizes: readonly number[]): Map<number, Inputs> {
  const files = resolveModelFiles(model);
  const json = JSON.parse(fs.readFileSync(files.tokenizer, 'utf8'));
  const config = files.tokenizerConfig ? JSON.parse(fs.readFileSync(files.tokenizerConfig, 'utf8')) : {};
  const tokenizer = new TextTokenizer(json, config);
  return new Map(
    sizes.map((n) => {
      // A line of code text is a handful of tokens: start small, double until there are enough.
      let source = codeText(Math.ceil(n / 4));
      while (tokenizer.encode(source).tokens.length < n) source = codeText(source.split('\n').length * 2);
      const text = textWithTokens(tokenizer, n, source);
      return [n, { text, ids: tokenizer.encode(text).tokens.map((t) => t.id) }];
    }),
  );
}

/**
 * Two texts of n tokens that differ in one token, for the patching sweep: the size's text, and a
 * copy with a token in its second half replaced by a one-token word that leaves every other token
 * as it was (checked with the model's tokenizer).
 */
export function patchingPair(model: string, n: number, clean: Inputs): { corrupted: Inputs; position: number } {
  const files = resolveModelFiles(model);
  const tokenizer = new TextTokenizer(
    JSON.parse(fs.readFileSync(files.tokenizer, 'utf8')),
    files.tokenizerConfig ? JSON.parse(fs.readFileSync(files.tokenizerConfig, 'utf8')) : {},
  );
  const tokens = tokenizer.encode(clean.text).tokens;
  for (let p = n - 2; p >= n / 2; p--) {
    const t = tokens[p];
    for (const word of ['x', 'y', 'total', 'count', '1', '2']) {
      const text = clean.text.slice(0, t.start) + word + clean.text.slice(t.end);
      const ids = tokenizer.encode(text).tokens.map((u) => u.id);
      if (ids.length === n && ids.filter((id, i) => id !== clean.ids[i]).length === 1 && ids[p] !== clean.ids[p])
        return { corrupted: { text, ids }, position: p };
    }
  }
  throw new Error(`no one-token change of the ${n}-token text keeps its other tokens`);
}

export interface Runner {
  load(): Promise<number>;
  run(n: number, kind: RowKind): Promise<RunResult>;
  close(): Promise<void>;
}

/** What the lens baseline needs to know of the model (from the engine's ModelInfo). */
export type HeadShape = Pick<ModelInfo, 'layers' | 'dModel' | 'vocab'>;

/**
 * The uninstrumented model in ONNX Runtime, through the engine's own runner factory (the same
 * session options but ONNX Runtime's default weight packing, the same conversion of tensors),
 * without the engine around it.
 */
export class PlainRunner implements Runner {
  private runner: EngineRunner | undefined;
  private readonly factory: RunnerFactory;
  private head: { runner: EngineRunner; output: string; shape: HeadShape; rows: Map<number, Float32Array> } | undefined;

  constructor(
    private readonly model: string,
    backend: OrtBackend,
    threads: number,
    private readonly inputs: Map<number, Inputs>,
  ) {
    this.factory = ortRunners(backend, threads, true);
  }

  async load(): Promise<number> {
    const started = performance.now();
    const bytes = new Uint8Array(fs.readFileSync(resolveModelFiles(this.model).onnx));
    this.runner = await this.factory({ model: bytes, externalData: [] });
    return performance.now() - started;
  }

  /** Makes `pluslens` runnable: a head of the model's width and vocabulary, top-`k` as the lens. */
  async addLensHead(shape: HeadShape, k: number): Promise<void> {
    const { bytes, output } = headModel(shape.dModel, shape.vocab, k);
    this.head = { runner: await this.factory({ model: bytes, externalData: [] }), output, shape, rows: new Map() };
  }

  /** A forward pass of the size's text, in `batch` identical rows. */
  async run(n: number, kind: RowKind, batch = 1): Promise<RunResult> {
    const ids = this.inputs.get(n)!.ids;
    const tensor = (values: number[]) => ({
      type: 'int64' as const,
      dims: [batch, values.length],
      data: BigInt64Array.from({ length: batch * values.length }, (_, i) => BigInt(values[i % values.length])),
    });
    const feeds = { input_ids: tensor(ids), attention_mask: tensor(ids.map(() => 1)) };
    const head = kind === 'pluslens' ? this.headFeeds(n) : undefined;
    const started = performance.now();
    const out = await this.runner!.run(feeds, ['logits']);
    if (head) await this.head!.runner.run(head, [this.head!.output]);
    const ms = performance.now() - started;
    if (out.logits.dims[1] !== n) throw new Error(`plain run returned ${out.logits.dims[1]} positions, expected ${n}`);
    return { ms };
  }

  /** As many rows as a full analysis of n tokens runs the lens on (every stream, the last positions that fit its budget). */
  private headFeeds(n: number): Tensors {
    const head = this.head;
    if (!head) throw new Error('pluslens needs addLensHead() first');
    const { layers, dModel, vocab } = head.shape;
    let rows = head.rows.get(n);
    if (!rows) {
      const count = (layers + 1) * Math.min(n, lensPositionLimit(layers + 1, vocab));
      rows = Float32Array.from({ length: count * dModel }, (_, i) => Math.sin(i));
      head.rows.set(n, rows);
    }
    return { [HEAD_INPUT]: { type: 'float32', dims: [1, rows.length / dModel, dModel], data: rows } };
  }

  async close(): Promise<void> {
    await this.runner?.release();
    await this.head?.runner.release();
  }
}

/** Model Lens as users get it: EngineClient posting to the engine worker. */
export class LensRunner implements Runner {
  private readonly client: EngineClient;

  constructor(
    private readonly model: string,
    backend: OrtBackend,
    threads: number,
    private readonly inputs: Map<number, Inputs>,
    workerPath: string,
  ) {
    this.client = new EngineClient({ workerPath: path.resolve(workerPath), backend, threads });
  }

  get info(): ModelInfo | undefined {
    return this.client.modelInfo;
  }

  async load(): Promise<number> {
    const started = performance.now();
    await this.client.load(this.model);
    return performance.now() - started;
  }

  async run(n: number, kind: RowKind): Promise<RunResult> {
    if (PLAIN_KINDS.has(kind)) throw new Error('LensRunner runs Model Lens rows only');
    const started = performance.now();
    const analysis = await this.client.analyze(this.inputs.get(n)!.text, ANALYZE_OPTIONS[kind as keyof typeof ANALYZE_OPTIONS]);
    const ms = performance.now() - started;
    if (analysis.tokens.length !== n) throw new Error(`Model Lens analysed ${analysis.tokens.length} tokens, expected ${n}`);
    if (kind === 'rollout' && !analysis.rollout) throw new Error('the analysis has no rollout');
    const bytes = transferables(analysis).reduce((sum, b) => sum + b.byteLength, 0);
    return { ms, forwardMs: analysis.forwardMs, bytes };
  }

  /**
   * One patching sweep of clean into corrupted, as the Compare With Another Text command runs it:
   * its time, and the rows of each of its forward passes (the two analyses, then the batches
   * the engine ran the patched runs in).
   */
  async patchingSweep(clean: string, corrupted: string): Promise<{ ms: number; passes: number[] }> {
    const passes: number[] = [];
    const engine: SweepEngine = {
      analyze: (text, options) => {
        passes.push(1);
        return this.client.analyze(text, options);
      },
      interventionRuns: async (text, runs) => {
        const result = await this.client.interventionRuns(text, runs);
        for (let left = runs.length; left > 0; left -= result.batch) passes.push(Math.min(left, result.batch));
        return result;
      },
    };
    const started = performance.now();
    const result = await patchingSweep(engine, this.client.modelInfo!, clean, corrupted);
    const ms = performance.now() - started;
    if (![...result.residual.values, ...result.heads.values].every(Number.isFinite)) throw new Error('the sweep left cells without a value');
    return { ms, passes };
  }

  async close(): Promise<void> {
    this.client.dispose();
  }
}
