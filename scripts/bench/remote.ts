// The whole-file heatmap with token probabilities from a completions server (modelLens.remote.*)
// against the local engine, same model: the loopback server of the test suite
// (test/helpers/completionsServer.ts) answering from engine workers of this benchmark's model, the
// extension's own client and windows (src/host/remote/), and windows in flight as TokenProbabilities
// sends them (windowsInFlight at a time, the next ones when those are back). Measured in rounds,
// the order rotating each round; ratios are taken within a round and their median reported.
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineClient } from '../../src/engine/client';
import { resolveModelFiles } from '../../src/engine/modelFolder';
import { windowBudget } from '../../src/host/probabilities/budgets';
import { planWindow, type WindowPlan } from '../../src/host/probabilities/documentWindows';
import { windowTokens } from '../../src/host/probabilities/tokenInfo';
import { CompletionsClient } from '../../src/host/remote/completionsClient';
import { remoteBudget, REMOTE_TOP_K, scoreWindow } from '../../src/host/remote/remoteWindows';
import { startCompletionsServer } from '../../test/helpers/completionsServer';
import { Doc, Probabilities } from './editorHost';
import { ms, times } from './format';
import type { OrtBackend } from './runners';
import { median } from './stats';
import { codeText } from './text';

export interface RemoteSpec {
  model: string;
  backend: OrtBackend;
  /** The local engine's threads (the extension's default). */
  threads: number;
  workerPath: string;
  lines: number;
  runs: number;
  warmup: number;
  /** Engine workers answering the server's requests side by side, one thread each. */
  scorers: number;
  /** Windows in flight compared: the first is the baseline of the speed-up. */
  inFlight: number[];
}

export interface RemoteResult {
  modelName: string;
  backend: OrtBackend;
  positions: number;
  threads: number;
  scorers: number;
  cores: number;
  documentChars: number;
  /** Windows the remote heatmap scores (planned for the server's context), and the local heatmap's. */
  windows: number;
  localWindows: number;
  tokens: number;
  /** Per round: the local heatmap as the extension computes it (its windows, logit lens included). */
  localMs: number[];
  /** Per round: the server's windows analysed by one of its engines directly, one after another: the work without the protocol. */
  engineMs: number[];
  /** Per round and windows in flight: the remote heatmap through the loopback server. */
  remoteMs: Record<number, number[]>;
  /** Per round: remote with the first windowsInFlight / the same windows on the engine directly. */
  overhead: number[];
  /** Per round and windows in flight: remote with the first windowsInFlight / remote with this many. */
  speedUp: Record<number, number[]>;
}

const MODEL_NAME = 'bench-model';

/** The windows that cover a document, in order, as TokenProbabilities plans them for a server of `context` tokens. */
function remotePlans(doc: Doc, context: number): WindowPlan[] {
  const plans: WindowPlan[] = [];
  for (let offset = 0; offset < doc.length; ) {
    const plan = planWindow(doc, offset, plans, remoteBudget(context));
    plans.push(plan);
    offset = plan.ownedEnd;
  }
  return plans;
}

export async function remoteHeatmap(spec: RemoteSpec): Promise<RemoteResult> {
  const doc = new Doc(codeText(spec.lines, 7));
  const local = new EngineClient({ workerPath: path.resolve(spec.workerPath), backend: spec.backend, threads: spec.threads });
  const info = await local.load(spec.model);
  const scorers = Array.from(
    { length: spec.scorers },
    () => new EngineClient({ workerPath: path.resolve(spec.workerPath), backend: spec.backend, threads: 1 }),
  );
  for (const s of scorers) await s.load(spec.model);
  const folder = path.dirname(resolveModelFiles(spec.model).tokenizer);
  const server = await startCompletionsServer(scorers, { name: MODEL_NAME, context: info.positions, folder });
  const plans = remotePlans(doc, info.positions);
  const textOf = (plan: WindowPlan) => doc.text.slice(plan.contextStart, plan.ownedEnd);

  let localWindows = 0;
  let tokens = 0;
  const runs: Record<string, () => Promise<number>> = {
    local: async () => {
      const probabilities = new Probabilities(local, doc, windowBudget(info.positions));
      const started = performance.now();
      await probabilities.tokensIn(0, doc.length);
      localWindows = probabilities.cache.all.length;
      return performance.now() - started;
    },
    engine: async () => {
      const started = performance.now();
      let count = 0;
      for (const plan of plans) count += windowTokens(await scorers[0].analyze(textOf(plan), { topK: REMOTE_TOP_K }), plan).length;
      tokens = count;
      return performance.now() - started;
    },
    ...Object.fromEntries(
      spec.inFlight.map((k) => [
        `remote${k}`,
        async () => {
          const client = new CompletionsClient({ endpoint: server.endpoint, model: MODEL_NAME, inFlight: k });
          const started = performance.now();
          let count = 0;
          // As TokenProbabilities.tokensIn: k windows started together, the next k when they are back.
          for (let i = 0; i < plans.length; i += k) {
            const batch = await Promise.all(plans.slice(i, i + k).map((plan) => scoreWindow(client, textOf(plan), plan)));
            count += batch.reduce((sum, w) => sum + w.length, 0);
          }
          const elapsed = performance.now() - started;
          // The same tokens as the engine gives for the same windows, or the comparison means nothing.
          if (tokens && count !== tokens) throw new Error(`the server's windows gave ${count} tokens where the engine gave ${tokens}`);
          return elapsed;
        },
      ]),
    ),
  };
  const names = Object.keys(runs);
  const measured: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < spec.warmup + spec.runs; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]);
    for (const name of order) {
      const elapsed = await runs[name]();
      if (round >= spec.warmup) measured[name].push(elapsed);
    }
  }
  await server.close();
  for (const engine of [local, ...scorers]) engine.dispose();

  const [base, ...more] = spec.inFlight;
  const remote = (k: number) => measured[`remote${k}`];
  return {
    modelName: info.name,
    backend: spec.backend,
    positions: info.positions,
    threads: spec.threads,
    scorers: spec.scorers,
    cores: os.availableParallelism(),
    documentChars: doc.length,
    windows: plans.length,
    localWindows,
    tokens,
    localMs: measured.local,
    engineMs: measured.engine,
    remoteMs: Object.fromEntries(spec.inFlight.map((k) => [k, remote(k)])),
    overhead: remote(base).map((t, i) => t / measured.engine[i]),
    speedUp: Object.fromEntries(more.map((k) => [k, remote(base).map((t, i) => t / remote(k)[i])])),
  };
}

/** The report's section: the whole-file heatmap through the loopback server against the local engine. */
export function remoteSection(r: RemoteResult | undefined): string[] {
  if (!r) return [];
  const [base, ...more] = Object.keys(r.remoteMs).map(Number);
  const perWindow = (xs: number[]) => ms(median(xs) / r.windows);
  return [
    `## Token probabilities from a server (${r.modelName})`,
    '',
    `The whole-file heatmap of a ${r.documentChars.toLocaleString('en')}-character TypeScript-like file. **Remote:** the extension's client and windows (src/host/remote/: ${r.windows} windows sized for the server's ${r.positions}-token context, ${r.tokens} tokens) through the test suite's loopback completions server on 127.0.0.1, which answers \`echo\` + \`logprobs\` + \`prompt_logprobs\` requests from ${r.scorers} engine workers of the same model (${r.backend === 'wasm' ? 'WASM' : 'native'}, one thread each; this machine has ${r.cores} cores), windows sent as the extension sends them (windowsInFlight at a time, the next ones when those are back). **Engine directly:** the same windows analysed one after another by one of those workers, without HTTP or JSON — the work the server does. **Local heatmap:** what the extension does without a server (its own windows, ${r.localWindows} of them, logit lens included, ${r.threads} threads). Medians of ${r.localMs.length} rounds, the order rotating each round; the server's HTTP and JSON work runs on the client's thread here, which a real server does not share.`,
    '',
    '| Row | whole file | per window |',
    '|:--|--:|--:|',
    `| Local heatmap, local engine (${r.threads} threads) | ${ms(median(r.localMs))} | ${ms(median(r.localMs) / Math.max(1, r.localWindows))} |`,
    `| Server's windows on one engine directly (no protocol) | ${ms(median(r.engineMs))} | ${perWindow(r.engineMs)} |`,
    ...Object.entries(r.remoteMs).map(([k, xs]) => `| Remote, ${k} window${k === '1' ? '' : 's'} in flight | ${ms(median(xs))} | ${perWindow(xs)} |`),
    '',
    `| Ratio (median over rounds of the ratio within a round) | |`,
    '|:--|--:|',
    `| Protocol overhead: remote with ${base} in flight / the same windows on the engine directly | ${times(median(r.overhead))} (${ms((median(r.remoteMs[base]) - median(r.engineMs)) / r.windows)} a window) |`,
    ...more.map(
      (k) => `| Speed-up from windows in flight: ${base} in flight / ${k} in flight (${r.scorers} engines answering) | ${times(median(r.speedUp[k]))} |`,
    ),
    '',
    `A real server batches the requests in flight on one GPU instead of spreading them over engines, and adds the network's round trip to each request: windows in flight hide that round trip as they hide the engines' time here. On ${r.cores} cores at most ${Math.min(r.cores, r.scorers)} engines run at once, which bounds the speed-up measured here.`,
    '',
  ];
}
