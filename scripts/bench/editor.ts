// The editor budgets of the token-probability feature, measured with the real components
// (planWindow, WindowCache, windowTokens, hoverMarkdown, EngineClient and its worker) and a
// plain-string document instead of VS Code's (editorHost.ts). The heatmap's refresh is mirrored
// from src/host/decorations/tokenHeatmap.ts, which imports `vscode` and cannot run here.
import * as path from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { EngineClient } from '../../src/engine/client';
import { hoverMarkdown } from '../../src/host/hover/hoverMarkdown';
import { HEATMAP_REFRESH_DELAY_MS, TOP_K, windowBudget } from '../../src/host/probabilities/budgets';
import { planWindow } from '../../src/host/probabilities/documentWindows';
import { rankBucket } from '../../src/host/probabilities/tokenInfo';
import { Doc, Probabilities } from './editorHost';
import type { OrtBackend } from './runners';
import { median } from './stats';
import { codeText } from './text';

/** Event-loop delay is sampled by a timer firing this often. */
const LAG_RESOLUTION_MS = 1;

export interface EditorSpec {
  model: string;
  backend: OrtBackend;
  threads: number;
  workerPath: string;
  lines: number;
  firstHovers: number;
  cachedHovers: number;
  typingMs: number;
}

export interface EditorResult {
  modelName: string;
  positions: number;
  documentChars: number;
  documentTokensPerWindow: number;
  /** (b) first hover in the file, the first right after the model loaded. */
  firstHoverColdMs: number;
  firstHoverMs: number[];
  /** The analyses of the same windows without the logit lens. */
  noLensMs: number[];
  /** Whole document: windows analysed and the time per window analysis. */
  windows: number;
  windowMs: number[];
  fillMs: number;
  /** (a) hover answered from the cache (find window + token + Markdown). */
  cachedHoverUs: number[];
  /** Cached hovers that found no token (offsets no window owns). */
  cachedMisses: number;
  /** (c) typing with the heatmap on. */
  typing: {
    keystrokes: number;
    refreshes: number;
    decorated: number;
    analyses: number;
    discarded: number;
    editUs: number[];
    idleLagP99Ms: number;
    lagP50Ms: number;
    lagP99Ms: number;
    lagMaxMs: number;
    refreshMs: number[];
    gcMs: number[];
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function editorBudgets(spec: EditorSpec): Promise<EditorResult> {
  const engine = new EngineClient({ workerPath: path.resolve(spec.workerPath), backend: spec.backend, threads: spec.threads });
  const info = await engine.load(spec.model);
  const budget = windowBudget(info.positions);
  const doc = new Doc(codeText(spec.lines, 5));

  // (b) A hover in a file never analysed: plan the window, analyse it, keep its tokens, answer.
  const firstHover = async (line: number): Promise<number> => {
    const probabilities = new Probabilities(engine, doc, budget);
    const offset = doc.offsetOfLine(line) + 8;
    const started = performance.now();
    const t = await probabilities.tokenAt(offset);
    if (t) hoverMarkdown(t, info.name, { explainLine: 'command:modelLens.explainAttention', whyToken: 'command:modelLens.whyThisToken' });
    return performance.now() - started;
  };
  const firstHoverColdMs = await firstHover(Math.floor(doc.lineCount / 2));
  const firstHoverMs: number[] = [];
  const lines = Array.from({ length: spec.firstHovers }, (_, i) => Math.floor(((i + 0.5) / spec.firstHovers) * (doc.lineCount - 1)));
  for (const line of lines) firstHoverMs.push(await firstHover(line));
  // What the same windows cost without the logit lens (which only the hover's "first became the
  // top prediction after layer L" line needs): what a hover would wait for if the lens came later.
  const noLensMs: number[] = [];
  for (const line of lines) {
    const plan = planWindow(doc, doc.offsetOfLine(line) + 8, [], budget);
    const started = performance.now();
    await engine.analyze(doc.text.slice(plan.contextStart, plan.ownedEnd), { topK: TOP_K });
    noLensMs.push(performance.now() - started);
  }

  // The whole document analysed, window by window, as scrolling through it with the heatmap on
  // would leave it: the largest cache a document gets, for (a) and (c).
  const probabilities = new Probabilities(engine, doc, budget);
  const windowMs: number[] = [];
  const fillStarted = performance.now();
  for (let offset = 0, tries = 0; offset < doc.length; ) {
    const started = performance.now();
    const before = probabilities.analyses;
    await probabilities.tokenAt(offset);
    if (probabilities.analyses > before) windowMs.push(performance.now() - started);
    // A window whose start fell out of the model's window does not own `offset`: the next plan
    // fills the gap before it, so ask again (a character at most a few times).
    const window = probabilities.cache.find(offset);
    if (window) [offset, tries] = [window.ownedEnd, 0];
    else if (++tries > 3) [offset, tries] = [offset + 1, 0];
  }
  const fillMs = performance.now() - fillStarted;
  const windows = probabilities.cache.all.length;
  const tokensPerWindow = median(probabilities.cache.all.map((w) => w.tokens.length));

  // (a) Hovers answered from the cache, at offsets spread over the document.
  const cachedHoverUs: number[] = [];
  let cachedMisses = 0;
  for (let i = 0; i < spec.cachedHovers; i++) {
    // A fixed scatter over the whole document (7919 is prime, so every slot is visited once).
    const offset = Math.floor((((i * 7919) % spec.cachedHovers) / spec.cachedHovers) * doc.length);
    const started = performance.now();
    const t = probabilities.cachedTokenAt(offset);
    if (t) hoverMarkdown(t, info.name, { explainLine: 'command:modelLens.explainAttention', whyToken: 'command:modelLens.whyThisToken' });
    else cachedMisses++;
    cachedHoverUs.push((performance.now() - started) * 1000);
  }

  // (c) Typing in the middle of the document with the heatmap on over ~50 visible lines:
  // bursts of keystrokes 50 ms apart, pauses long enough for the debounced refresh to run.
  const cursorLine = Math.floor(doc.lineCount / 2);
  let cursor = doc.offsetOfLine(cursorLine) + 4;
  const visible = () => ({ start: doc.offsetOfLine(cursorLine - 25), end: doc.offsetOfLine(cursorLine + 25) });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let controller: AbortController | undefined;
  const refreshMs: number[] = [];
  let refreshes = 0;
  let decorated = 0;
  const refresh = async () => {
    controller?.abort();
    const mine = (controller = new AbortController());
    refreshes++;
    const started = performance.now();
    try {
      const { start, end } = visible();
      const tokens = await probabilities.tokensIn(start, end, mine.signal);
      if (mine.signal.aborted) return;
      // What setDecorations is handed: one range (two positions) per token, by bucket.
      decorated += tokens.map((t) => ({ bucket: rankBucket(t.rank), from: doc.line(t.start), to: doc.line(t.end) })).length;
      refreshMs.push(performance.now() - started);
    } catch {
      // Cancelled by a newer refresh.
    }
  };
  await refresh();
  // The same monitor on an idle host first: the floor this machine's scheduler gives.
  const idle = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  idle.enable();
  await sleep(1000);
  idle.disable();
  const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  // Garbage collection in the host while typing: the usual suspect for the longest delays.
  const gcMs: number[] = [];
  const gc = new PerformanceObserver((list) => gcMs.push(...list.getEntries().map((e) => e.duration)));
  gc.observe({ entryTypes: ['gc'] });
  const editUs: number[] = [];
  let keystrokes = 0;
  const analysesBefore = probabilities.analyses;
  lag.enable();
  const typingEnds = performance.now() + spec.typingMs;
  while (performance.now() < typingEnds) {
    for (let k = 0; k < 8 && performance.now() < typingEnds; k++) {
      const started = performance.now();
      // onDidChangeTextDocument: the document changes, the cache follows, the heatmap is rescheduled.
      doc.insert(cursor, 'x');
      probabilities.cache.applyEdit(cursor, cursor, 1);
      cursor++;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void refresh(), HEATMAP_REFRESH_DELAY_MS);
      editUs.push((performance.now() - started) * 1000);
      keystrokes++;
      await sleep(50);
    }
    await sleep(HEATMAP_REFRESH_DELAY_MS + 150);
  }
  if (timer) clearTimeout(timer);
  // Let the last refresh finish inside the measurement.
  await sleep(HEATMAP_REFRESH_DELAY_MS + 50);
  await refresh();
  lag.disable();
  gc.disconnect();
  engine.dispose();
  // The histogram holds whole timer intervals: the delay is what exceeds the resolution.
  const ms = (ns: number) => Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS);
  return {
    modelName: info.name,
    positions: info.positions,
    documentChars: doc.length,
    documentTokensPerWindow: tokensPerWindow,
    firstHoverColdMs,
    firstHoverMs,
    noLensMs,
    windows,
    windowMs,
    fillMs,
    cachedHoverUs,
    cachedMisses,
    typing: {
      keystrokes,
      refreshes,
      decorated,
      analyses: probabilities.analyses - analysesBefore,
      discarded: probabilities.discarded,
      editUs,
      idleLagP99Ms: ms(idle.percentile(99)),
      lagP50Ms: ms(lag.percentile(50)),
      lagP99Ms: ms(lag.percentile(99)),
      lagMaxMs: ms(lag.max),
      refreshMs,
      gcMs,
    },
  };
}
