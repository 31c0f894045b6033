// Small BERT-shaped encoders with random weights, written as torch.onnx writes Hugging Face's
// BertForMaskedLM and BertForSequenceClassification: word + position + token-type embeddings and
// a LayerNorm, then post-norm blocks (x = LN(x + attention(x)), x = LN(x + MLP(x))) whose
// attention sees every token (only padding is masked), and either the masked-LM head (dense, GELU,
// LayerNorm, the word embeddings transposed) or the classifier on the first token (pooler dense +
// tanh, then the classes). The norms are LayerNormalization operators (opset 17 exports) or
// written out in ReduceMean/Sub/Pow/Sqrt/Div arithmetic (opset 14, Optimum's default for BERT).
//
// `referenceEncoder` computes the same model from the same weights in plain JavaScript (float64),
// an implementation that shares nothing with the engine or ONNX Runtime.
import { Emitter } from '../../src/engine/onnx/emit';
import { DataType, type ValueInfo } from '../../src/engine/onnx/model';
import { encodeBuilt, random } from './decoderBuilder';

export interface EncoderOptions {
  layers?: number;
  heads?: number;
  dModel?: number;
  dMlp?: number;
  vocab?: number;
  positions?: number;
  /** Classes of a sequence classifier; without, the masked-LM head. */
  classes?: number;
  /**
   * LayerNorm as the opset-17 operator or written out (opset 14); or the whole encoder as ONNX
   * Runtime's transformer optimizer leaves BERT ('fused'): EmbedLayerNormalization, Attention with
   * packed QKV weights and a mask index, SkipLayerNormalization with the projection's bias, and
   * BiasGelu (all com.microsoft).
   */
  norms?: 'operator' | 'arithmetic' | 'fused';
  seed?: number;
}

type Matrix = { rows: number; cols: number; data: number[] };

interface Layer {
  q: Matrix;
  qb: number[];
  k: Matrix;
  kb: number[];
  v: Matrix;
  vb: number[];
  o: Matrix;
  ob: number[];
  ln1: [number[], number[]];
  up: Matrix;
  upb: number[];
  down: Matrix;
  downb: number[];
  ln2: [number[], number[]];
}

export interface EncoderWeights {
  options: Required<Omit<EncoderOptions, 'classes'>> & { classes?: number };
  word: Matrix;
  position: Matrix;
  tokenType: Matrix;
  embedNorm: [number[], number[]];
  layers: Layer[];
  /** Masked-LM head: transform dense + GELU + LN, then the word embeddings transposed and a bias. */
  transform?: Matrix;
  transformb?: number[];
  headNorm?: [number[], number[]];
  decoderb?: number[];
  /** Classifier: pooler dense + tanh on the first token, then the classes. */
  pooler?: Matrix;
  poolerb?: number[];
  classifier?: Matrix;
  classifierb?: number[];
}

const EPSILON = 1e-12;

export function encoderWeights(options: EncoderOptions = {}): EncoderWeights {
  const o = { layers: 2, heads: 4, dModel: 32, dMlp: 64, vocab: 64, positions: 64, norms: 'operator' as const, seed: 7, ...options };
  const rand = random(o.seed);
  const values = (n: number, scale: number) => Array.from({ length: n }, () => Math.fround((rand() * 2 - 1) * scale));
  const matrix = (rows: number, cols: number, scale = 1 / Math.sqrt(rows)): Matrix => ({ rows, cols, data: values(rows * cols, scale) });
  const norm = (): [number[], number[]] => [values(o.dModel, 0.3).map((x) => Math.fround(1 + x)), values(o.dModel, 0.1)];
  const d = o.dModel;
  const layers = Array.from({ length: o.layers }, () => ({
    q: matrix(d, d),
    qb: values(d, 0.1),
    k: matrix(d, d),
    kb: values(d, 0.1),
    v: matrix(d, d),
    vb: values(d, 0.1),
    o: matrix(d, d),
    ob: values(d, 0.1),
    ln1: norm(),
    up: matrix(d, o.dMlp),
    upb: values(o.dMlp, 0.1),
    down: matrix(o.dMlp, d),
    downb: values(d, 0.1),
    ln2: norm(),
  }));
  const shared = { options: o, word: matrix(o.vocab, d, 1), position: matrix(o.positions, d, 0.5), tokenType: matrix(2, d, 0.5), embedNorm: norm(), layers };
  if (o.classes) return { ...shared, pooler: matrix(d, d), poolerb: values(d, 0.1), classifier: matrix(d, o.classes), classifierb: values(o.classes, 0.1) };
  return { ...shared, transform: matrix(d, d), transformb: values(d, 0.1), headNorm: norm(), decoderb: values(o.vocab, 0.1) };
}

/** The model as ONNX, inputs input_ids, attention_mask and token_type_ids [batch, sequence]. */
export function buildEncoder(w: EncoderWeights): Uint8Array {
  const o = w.options;
  const d = o.dModel;
  const dh = d / o.heads;
  const em = new Emitter(o.norms === 'arithmetic' ? 14 : 17, 'bert/');
  const fused = o.norms === 'fused';
  const f = (dims: number[], data: number[]) => em.constant(DataType.FLOAT, dims, data, 'w');
  const linear = (x: string, m: Matrix, bias: number[]) => em.op1('Add', [em.op1('MatMul', [x, f([m.rows, m.cols], m.data)]), f([bias.length], bias)]);
  const layerNorm = (x: string, [gamma, beta]: [number[], number[]]) => {
    if (o.norms !== 'arithmetic') return em.op1('LayerNormalization', [x, f([d], gamma), f([d], beta)], { axis: -1, epsilon: { float: EPSILON } });
    const centred = em.op1('Sub', [x, em.reduce('ReduceMean', x, [-1])]);
    const variance = em.reduce('ReduceMean', em.op1('Pow', [centred, em.scalar(2)]), [-1]);
    const normalized = em.op1('Div', [centred, em.op1('Sqrt', [em.op1('Add', [variance, em.scalar(EPSILON)])])]);
    return em.op1('Add', [em.op1('Mul', [normalized, f([d], gamma)]), f([d], beta)]);
  };
  const gelu = (x: string) =>
    em.op1('Mul', [em.op1('Mul', [x, em.op1('Add', [em.op1('Erf', [em.op1('Div', [x, em.scalar(Math.SQRT2)])]), em.scalar(1)])]), em.scalar(0.5)]);
  /** GELU(x · m + bias): BiasGelu when fused. */
  const geluLinear = (x: string, m: Matrix, bias: number[]) =>
    fused ? em.op1('BiasGelu', [em.op1('MatMul', [x, f([m.rows, m.cols], m.data)]), f([bias.length], bias)], {}, 'com.microsoft') : gelu(linear(x, m, bias));
  /** LN(stream + x · m + bias): SkipLayerNormalization with the bias when fused, the stream second as ORT's fusion of Add(branch, stream) leaves it. */
  const addAndNorm = (stream: string, x: string, m: Matrix, bias: number[], norm: [number[], number[]]) =>
    fused
      ? em.op1(
          'SkipLayerNormalization',
          [em.op1('MatMul', [x, f([m.rows, m.cols], m.data)]), stream, f([d], norm[0]), f([d], norm[1]), f([d], bias)],
          { epsilon: { float: EPSILON } },
          'com.microsoft',
        )
      : layerNorm(em.op1('Add', [linear(x, m, bias), stream]), norm);

  const inputs: ValueInfo[] = ['input_ids', 'attention_mask', 'token_type_ids'].map((name) => ({
    name,
    elemType: DataType.INT64,
    shape: ['batch', 'sequence'],
  }));
  const seqLen = em.squeeze(em.dim('input_ids', 1), [0]);
  const positions = em.unsqueeze(em.op1('Range', [em.scalar(0, DataType.INT64), seqLen, em.scalar(1, DataType.INT64)]), [0]);
  const gather = (table: Matrix, ids: string) => em.op1('Gather', [f([table.rows, table.cols], table.data), ids], { axis: 0 });
  let x: string;
  let maskIndex = '';
  if (fused) {
    const int32 = (name: string) => em.cast(name, DataType.INT32);
    const table = (m: Matrix) => f([m.rows, m.cols], m.data);
    [x, maskIndex] = em.op(
      'EmbedLayerNormalization',
      [
        int32('input_ids'),
        int32('token_type_ids'),
        table(w.word),
        table(w.position),
        table(w.tokenType),
        f([d], w.embedNorm[0]),
        f([d], w.embedNorm[1]),
        int32('attention_mask'),
      ],
      { epsilon: { float: EPSILON } },
      2,
      'com.microsoft',
    );
  } else {
    x = em.op1('Add', [em.op1('Add', [gather(w.word, 'input_ids'), gather(w.tokenType, 'token_type_ids')]), gather(w.position, positions)]);
    x = layerNorm(x, w.embedNorm);
  }
  // (1 − mask) · float min, [batch, 1, 1, key]: added to every query's scores.
  const keyMask = em.unsqueeze(em.cast('attention_mask', DataType.FLOAT), [1, 2]);
  const maskBias = em.op1('Mul', [em.op1('Sub', [em.scalar(1), keyMask]), em.scalar(-3.4028234663852886e38)]);
  const heads = (t: string) => em.op1('Transpose', [em.reshape(t, em.ints([0, 0, o.heads, dh]))], { perm: [0, 2, 1, 3] });
  /** Columns of q, k and v side by side, as the fused Attention's packed weight [d, 3d]. */
  const packed = (a: Matrix, b: Matrix, c: Matrix) =>
    Array.from({ length: d * 3 * d }, (_, i) => {
      const [row, col] = [Math.floor(i / (3 * d)), i % (3 * d)];
      return [a, b, c][Math.floor(col / d)].data[row * d + (col % d)];
    });
  for (const layer of w.layers) {
    let merged: string;
    if (fused) {
      const qkv = [f([d, 3 * d], packed(layer.q, layer.k, layer.v)), f([3 * d], [...layer.qb, ...layer.kb, ...layer.vb])];
      merged = em.op1('Attention', [x, ...qkv, maskIndex], { num_heads: o.heads, unidirectional: 0 }, 'com.microsoft');
    } else {
      const q = heads(linear(x, layer.q, layer.qb));
      const kT = em.op1('Transpose', [heads(linear(x, layer.k, layer.kb))], { perm: [0, 1, 3, 2] });
      const v = heads(linear(x, layer.v, layer.vb));
      const scores = em.op1('Add', [em.op1('Div', [em.op1('MatMul', [q, kT]), em.scalar(Math.sqrt(dh))]), maskBias]);
      const z = em.op1('MatMul', [em.op1('Softmax', [scores], { axis: -1 }), v]);
      merged = em.reshape(em.op1('Transpose', [z], { perm: [0, 2, 1, 3] }), em.ints([0, 0, d]));
    }
    x = addAndNorm(x, merged, layer.o, layer.ob, layer.ln1);
    x = addAndNorm(x, geluLinear(x, layer.up, layer.upb), layer.down, layer.downb, layer.ln2);
  }
  let head: string;
  if (w.classifier && w.pooler) {
    const first = em.op1('Gather', [x, em.scalar(0, DataType.INT64)], { axis: 1 }); // [batch, d]
    head = linear(em.op1('Tanh', [linear(first, w.pooler, w.poolerb!)]), w.classifier, w.classifierb!);
  } else {
    const transformed = layerNorm(geluLinear(x, w.transform!, w.transformb!), w.headNorm!);
    const tied = em.op1('Transpose', [f([w.word.rows, d], w.word.data)], { perm: [1, 0] });
    head = em.op1('Add', [em.op1('MatMul', [transformed, tied]), f([o.vocab], w.decoderb!)]);
  }
  const shape = o.classes ? ['batch', o.classes] : ['batch', 'sequence', o.vocab];
  return encodeBuilt(em, 'bert', inputs, head, { name: 'logits', elemType: DataType.FLOAT, shape });
}

export interface EncoderReference {
  /** [layers + 1][pos][d]: the embedding's norm, then each block's output (after its second norm). */
  hidden: number[][][];
  /** [layer][head][query][key] */
  patterns: number[][][][];
  /** [pos][vocab] for a masked LM, [1][classes] for a classifier. */
  logits: number[][];
}

/** The model's forward pass on one unpadded sequence, in float64; the heads in `zeroed` output zeros (zero ablation of hook_z). */
export function referenceEncoder(w: EncoderWeights, ids: readonly number[], zeroed: readonly { layer: number; head: number }[] = []): EncoderReference {
  const o = w.options;
  const d = o.dModel;
  const dh = d / o.heads;
  const times = (x: number[][], m: Matrix, bias?: number[]) =>
    x.map((row) =>
      Array.from({ length: m.cols }, (_, c) => {
        let sum = bias ? bias[c] : 0;
        for (let r = 0; r < m.rows; r++) sum += row[r] * m.data[r * m.cols + c];
        return sum;
      }),
    );
  const norm = (x: number[][], [gamma, beta]: [number[], number[]]) =>
    x.map((row) => {
      const mean = row.reduce((a, b) => a + b, 0) / row.length;
      const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
      return row.map((v, i) => ((v - mean) / Math.sqrt(variance + EPSILON)) * gamma[i] + beta[i]);
    });
  const add = (a: number[][], b: number[][]) => a.map((row, i) => row.map((v, j) => v + b[i][j]));
  const gelu = (x: number[][]) => x.map((row) => row.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))));
  const row = (m: Matrix, i: number) => m.data.slice(i * m.cols, (i + 1) * m.cols);
  let x = norm(
    ids.map((id, p) => row(w.word, id).map((v, j) => v + w.position.data[p * d + j] + w.tokenType.data[j])),
    w.embedNorm,
  );
  const hidden = [x];
  const patterns: number[][][][] = [];
  w.layers.forEach((layer, L) => {
    const [q, k, v] = [times(x, layer.q, layer.qb), times(x, layer.k, layer.kb), times(x, layer.v, layer.vb)];
    const layerPatterns: number[][][] = [];
    const z = x.map(() => new Array<number>(d).fill(0));
    for (let h = 0; h < o.heads; h++) {
      const pattern = q.map((qi) => {
        const scores = k.map((kj) => {
          let s = 0;
          for (let e = h * dh; e < (h + 1) * dh; e++) s += qi[e] * kj[e];
          return s / Math.sqrt(dh);
        });
        const max = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - max));
        const total = exps.reduce((a, b) => a + b, 0);
        return exps.map((e) => e / total);
      });
      const off = zeroed.some((z) => z.layer === L && z.head === h);
      pattern.forEach((weights, i) => {
        for (let e = h * dh; e < (h + 1) * dh; e++) z[i][e] = off ? 0 : weights.reduce((sum, a, j) => sum + a * v[j][e], 0);
      });
      layerPatterns.push(pattern);
    }
    patterns.push(layerPatterns);
    x = norm(add(times(z, layer.o, layer.ob), x), layer.ln1);
    x = norm(add(times(gelu(times(x, layer.up, layer.upb)), layer.down, layer.downb), x), layer.ln2);
    hidden.push(x);
  });
  let logits: number[][];
  if (w.classifier && w.pooler) {
    const pooled = times([x[0]], w.pooler, w.poolerb).map((r) => r.map(Math.tanh));
    logits = times(pooled, w.classifier, w.classifierb);
  } else {
    const transformed = norm(gelu(times(x, w.transform!, w.transformb)), w.headNorm!);
    const tied: Matrix = {
      rows: d,
      cols: o.vocab,
      data: Array.from({ length: d * o.vocab }, (_, i) => w.word.data[(i % o.vocab) * d + Math.floor(i / o.vocab)]),
    };
    logits = times(transformed, tied, w.decoderb);
  }
  return { hidden, patterns, logits };
}

/** erf to float64 precision (Abramowitz–Stegun is too coarse for 1e-5 comparisons): its Taylor series, or the continued fraction beyond 3. */
function erf(x: number): number {
  const t = Math.abs(x);
  if (t > 3) {
    // erfc(t) = exp(−t²)/√π · 1/(t + 1/2/(t + 1/(t + 3/2/(t + …))))
    let fraction = t;
    for (let n = 60; n >= 1; n--) fraction = t + n / 2 / fraction;
    return Math.sign(x) * (1 - Math.exp(-t * t) / Math.sqrt(Math.PI) / fraction);
  }
  let term = t;
  let sum = t;
  for (let n = 1; n < 200; n++) {
    term *= (-t * t) / n;
    sum += term / (2 * n + 1);
  }
  return (Math.sign(x) * 2 * sum) / Math.sqrt(Math.PI);
}
