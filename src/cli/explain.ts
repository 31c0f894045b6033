// `npm run explain -- <file> [--model DIR] [--json]`: the engine without VS Code. Prints each
// token's probability and the strongest attention of every head, or the whole analysis as JSON;
// with --ablate, --why or --patch-from, what made the model predict what it did.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineClient } from '../engine/client';
import { errorMessage } from '../engine/errors';
import type { Analysis, ModelInfo, TensorData } from '../engine/types';
import { hookGroups, hooks } from '../shared/hooks';
import { visible } from './visible';
import { printAblation, printAttribution, printPatching, type Intervening } from './why';

const USAGE = [
  'Usage: npm run explain -- <text file | -> [--model <model folder or .onnx>] [--json] [--threads N]',
  '         [--ablate L.H[,L.H...] [--mean]]   heads switched off (zero, or their mean over the text)',
  '         [--why POS [--target TOKEN] [--vs TOKEN]]   direct logit attribution of the token at POS',
  '         [--patch-from FILE2 [--target TOKEN] [--foil TOKEN]]   patch FILE2 (clean) into the file (corrupted)',
].join('\n');
export const DEFAULT_MODEL = path.resolve(__dirname, '..', 'media', 'models', 'lens-tiny');

interface Args extends Intervening {
  file: string;
  model: string;
  json: boolean;
  threads: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { file: '', model: DEFAULT_MODEL, json: false, threads: 0, ablate: [], mean: false };
  const value = (i: number, flag: string) => {
    const v = argv[i];
    if (v === undefined) throw new Error(`${flag} needs a value.\n${USAGE}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') args.json = true;
    else if (a === '--model') args.model = value(++i, a);
    else if (a === '--threads') args.threads = Number(value(++i, a));
    else if (a === '--ablate') args.ablate = parseHeads(value(++i, a));
    else if (a === '--mean') args.mean = true;
    else if (a === '--why') args.why = Number(value(++i, a));
    else if (a === '--vs' || a === '--foil') args.foil = value(++i, a);
    else if (a === '--target') args.target = value(++i, a);
    else if (a === '--patch-from') args.patchFrom = value(++i, a);
    else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else if (!args.file) args.file = a;
    else throw new Error(`Unexpected argument ${a}.\n${USAGE}`);
  }
  if (!args.file || !args.model) throw new Error(USAGE);
  if (args.why !== undefined && !Number.isInteger(args.why)) throw new Error(`--why takes a token position as printed in the table.\n${USAGE}`);
  return args;
}

/** "2.1,0.3" → [{ layer: 2, head: 1 }, { layer: 0, head: 3 }]. */
function parseHeads(list: string): { layer: number; head: number }[] {
  return list.split(',').map((item) => {
    const m = /^(\d+)\.(\d+)$/.exec(item.trim());
    if (!m) throw new Error(`--ablate takes heads as LAYER.HEAD, comma-separated (e.g. 0.1,2.3); got "${item}".`);
    return { layer: Number(m[1]), head: Number(m[2]) };
  });
}

/** A flat tensor as nested arrays, [a][b][c]... */
function nest(data: ArrayLike<number>, shape: number[], offset = 0): unknown {
  if (shape.length === 0) return data[offset];
  const [n, ...rest] = shape;
  const stride = rest.reduce((x, y) => x * y, 1);
  return Array.from({ length: n }, (_, i) => nest(data, rest, offset + i * stride));
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function toJson(info: ModelInfo, a: Analysis): object {
  const k = a.topK;
  const attention = Array.from({ length: info.layers }, (_, L) => {
    const t = a.activations[hooks.attn(L, 'pattern')];
    return t ? nest(t.data, t.shape) : null;
  });
  const activations = Object.fromEntries(
    Object.entries(a.activations).map(([name, t]: [string, TensorData]) => [name, { shape: t.shape, data: nest(t.data, t.shape) }]),
  );
  // A decoder's predictions at a position are for the next token; a masked model's, for the
  // token itself with it masked (and its prob is computed that way).
  const predictions = a.predicts === 'masked' ? 'masked' : 'next';
  return {
    model: info,
    predicts: a.predicts,
    classes: a.classes ?? null,
    droppedChars: a.droppedChars,
    tokens: a.tokens.map((t, i) => ({
      ...t,
      prob: finite(a.prob[i]),
      rank: a.rank[i] || null,
      entropyBits: finite(a.entropy[i]),
      [predictions]: Array.from({ length: k }, (_, j) => ({ id: a.topIds[i * k + j], prob: a.topProbs[i * k + j] })),
    })),
    attention,
    activations,
    lens: a.lens
      ? {
          fromPosition: a.lens.from,
          ids: nest(a.lens.ids, [a.lens.rows, a.tokens.length - a.lens.from, a.lens.k]),
          probs: nest(a.lens.probs, [a.lens.rows, a.tokens.length - a.lens.from, a.lens.k]),
        }
      : null,
  };
}

function printText(info: ModelInfo, a: Analysis): void {
  const out: string[] = [`Model: ${info.name} (${info.layers} layers × ${info.heads} heads, ${info.backend})`, ''];
  if (a.droppedChars > 0)
    out.splice(1, 0, `The text is longer than the model's window of ${info.positions} tokens: its first ${a.droppedChars} characters were left out.`);
  if (a.classes) {
    out.push('Classes of the whole text:');
    for (const c of a.classes) out.push(`  ${visible(c.label).slice(0, 30).padEnd(30)} ${`${(c.prob * 100).toFixed(2)}%`.padStart(8)}`);
  } else {
    out.push(
      a.predicts === 'masked'
        ? 'pos  token                    P(token|rest, masked)   rank  surprisal'
        : 'pos  token                    P(token|before)   rank  surprisal',
    );
    const width = a.predicts === 'masked' ? 21 : 15;
    a.tokens.forEach((t, i) => {
      const p = a.prob[i];
      const cells = Number.isFinite(p)
        ? [`${(p * 100).toFixed(2)}%`.padStart(width), String(a.rank[i]).padStart(6), `${(-Math.log2(p)).toFixed(2)} bits`.padStart(11)]
        : ['—'.padStart(width), '', ''];
      out.push(`${String(i).padStart(3)}  ${visible(t.text).slice(0, 22).padEnd(22)}  ${cells.join(' ')}`);
    });
  }
  // An encoder's queries attend to later keys too.
  const bidirectional = info.bidirectional;
  out.push(
    '',
    bidirectional
      ? 'Strongest attention of each head (query → key, either direction, excluding position 0 and the token itself):'
      : 'Strongest attention of each head (query → key, excluding position 0):',
  );
  for (let L = 0; L < info.layers; L++) {
    const t = a.activations[hooks.attn(L, 'pattern')];
    if (!t) {
      const source = info.layerInfo[L]?.attention;
      out.push(`L${L}: attention unavailable${source?.kind === 'unavailable' ? ` (${source.reason})` : ''}`);
      continue;
    }
    const [heads, queries, keys] = t.shape;
    for (let h = 0; h < heads; h++) {
      let best = { w: -1, q: 0, k: 0 };
      for (let q = 1; q < queries; q++) {
        for (let k = 1; k < (bidirectional ? keys : Math.min(q + 1, keys)); k++) {
          if (bidirectional && k === q) continue;
          const w = t.data[(h * queries + q) * keys + k];
          if (w > best.w) best = { w, q, k };
        }
      }
      const label = (i: number) => `"${visible(a.tokens[i]?.text ?? '')}"@${i}`;
      out.push(best.w < 0 ? `L${L}H${h}: (too few tokens)` : `L${L}H${h}: ${label(best.q)} → ${label(best.k)}  ${best.w.toFixed(3)}`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const read = (file: string) => (file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8'));
  const text = read(args.file);
  const engine = new EngineClient({ workerPath: path.join(__dirname, 'worker.js'), backend: 'wasm', threads: args.threads });
  try {
    const info = await engine.load(args.model);
    const analyze = engine.analyze.bind(engine);
    if (args.patchFrom !== undefined) await printPatching(engine, info, read(args.patchFrom), text, args);
    else if (args.why !== undefined) await printAttribution(analyze, info, text, args);
    else if (args.ablate.length) await printAblation(analyze, info, text, args);
    else {
      const analysis = await engine.analyze(text, {
        hooks: args.json ? [...hookGroups.attention, ...hookGroups.activations, ...hookGroups.block] : hookGroups.attention,
        lens: args.json,
      });
      if (args.json) process.stdout.write(`${JSON.stringify(toJson(info, analysis))}\n`);
      else printText(info, analysis);
    }
  } finally {
    engine.dispose();
  }
}

// `npm run explain -- file | head` closes the pipe early; that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
});

main().catch((e) => {
  process.stderr.write(`model-lens: ${errorMessage(e)}\n`);
  process.exit(1);
});
