// `npm run explain -- <file> [--model DIR] [--json]`: the engine without VS Code. Prints each
// token's probability and the strongest attention of every head, or the whole analysis as JSON.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineClient } from '../engine/client';
import { errorMessage } from '../engine/errors';
import type { Analysis, ModelInfo, TensorData } from '../engine/types';

const USAGE = 'Usage: npm run explain -- <text file | -> [--model <model folder or .onnx>] [--json] [--threads N]';
export const DEFAULT_MODEL = path.resolve(__dirname, '..', 'media', 'models', 'lens-tiny');

interface Args {
  file: string;
  model: string;
  json: boolean;
  threads: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { file: '', model: DEFAULT_MODEL, json: false, threads: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') args.json = true;
    else if (a === '--model') args.model = argv[++i] ?? '';
    else if (a === '--threads') args.threads = Number(argv[++i]);
    else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else if (!args.file) args.file = a;
    else throw new Error(`Unexpected argument ${a}.\n${USAGE}`);
  }
  if (!args.file || !args.model) throw new Error(USAGE);
  return args;
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
    const t = a.activations[`blocks.${L}.attn.hook_pattern`];
    return t ? nest(t.data, t.shape) : null;
  });
  const activations = Object.fromEntries(Object.entries(a.activations).map(([name, t]: [string, TensorData]) => [name, { shape: t.shape, data: nest(t.data, t.shape) }]));
  return {
    model: info,
    droppedChars: a.droppedChars,
    tokens: a.tokens.map((t, i) => ({
      ...t,
      prob: finite(a.prob[i]),
      rank: a.rank[i] || null,
      entropyBits: finite(a.entropy[i]),
      next: Array.from({ length: k }, (_, j) => ({ id: a.topIds[i * k + j], prob: a.topProbs[i * k + j] })),
    })),
    attention,
    activations,
    lens: a.lens ? { fromPosition: a.lens.from, ids: nest(a.lens.ids, [a.lens.rows, a.tokens.length - a.lens.from, a.lens.k]), probs: nest(a.lens.probs, [a.lens.rows, a.tokens.length - a.lens.from, a.lens.k]) } : null,
  };
}

function visible(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

function printText(info: ModelInfo, a: Analysis): void {
  const out: string[] = [`Model: ${info.name} (${info.layers} layers × ${info.heads} heads, ${info.backend})`, ''];
  if (a.droppedChars > 0) out.splice(1, 0, `The text is longer than the model's window of ${info.positions} tokens: its first ${a.droppedChars} characters were left out.`);
  out.push('pos  token                    P(token|before)   rank  surprisal');
  a.tokens.forEach((t, i) => {
    const p = a.prob[i];
    const cells = Number.isFinite(p) ? [`${(p * 100).toFixed(2)}%`.padStart(15), String(a.rank[i]).padStart(6), `${(-Math.log2(p)).toFixed(2)} bits`.padStart(11)] : ['—'.padStart(15), '', ''];
    out.push(`${String(i).padStart(3)}  ${visible(t.text).slice(0, 22).padEnd(22)}  ${cells.join(' ')}`);
  });
  out.push('', 'Strongest attention of each head (query → key, excluding position 0):');
  for (let L = 0; L < info.layers; L++) {
    const t = a.activations[`blocks.${L}.attn.hook_pattern`];
    if (!t) {
      const source = info.layerInfo[L]?.attention;
      out.push(`L${L}: attention unavailable${source?.kind === 'unavailable' ? ` (${source.reason})` : ''}`);
      continue;
    }
    const [heads, queries, keys] = t.shape;
    for (let h = 0; h < heads; h++) {
      let best = { w: -1, q: 0, k: 0 };
      for (let q = 1; q < queries; q++) {
        for (let k = 1; k <= q && k < keys; k++) {
          const w = t.data[(h * queries + q) * keys + k];
          if (w > best.w) best = { w, q, k };
        }
      }
      const label = (i: number) => `"${visible(a.tokens[i]?.text ?? '')}"@${i}`;
      out.push(best.w < 0 ? `L${L}H${h}: (too few tokens)` : `L${L}H${h}: ${label(best.q)} → ${label(best.k)}  ${best.w.toFixed(3)}`);
    }
  }
  process.stdout.write(out.join('\n') + '\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const text = args.file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(args.file, 'utf8');
  const engine = new EngineClient({ workerPath: path.join(__dirname, 'worker.js'), backend: 'wasm', threads: args.threads });
  try {
    const info = await engine.load(args.model);
    const analysis = await engine.analyze(text, { attention: true, activations: args.json, lens: args.json });
    if (args.json) process.stdout.write(JSON.stringify(toJson(info, analysis)) + '\n');
    else printText(info, analysis);
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
