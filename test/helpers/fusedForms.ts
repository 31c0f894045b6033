// The default model (media/models/lens-tiny) rewritten, with its own weights, into the forms real
// exporters produce: ONNX Runtime's fused Attention, MultiHeadAttention, GroupQueryAttention,
// SkipLayerNormalization with the residual stream in either operand, com.microsoft Gelu and
// BiasGelu, and 4-bit MatMulNBits. Each form computes what the exported model computes (4-bit:
// what its rounded weights compute), so the PyTorch goldens in test/fixtures/lens-tiny-goldens
// are a reference for every tensor the engine reports on it that does not come from the engine.
//
// decoderBuilder.ts writes the same operators around random weights, but its models differ from
// this one in every block (no biases, SiLU, a norm on the embedding, rotary positions): taking
// given weights would have meant rewriting what its callers build, so this is a separate builder.
//
// Not covered, because the default model has no use for them: rotary embeddings (its positions
// are a learned table added to the token embedding, so there is nothing to rotate) and FastGelu
// (the tanh approximation: the model's GELU is the exact erf one, model.py `F.gelu`, so FastGelu
// would be a different model, not a rewrite of this one).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Emitter, makeNode, makeTensor } from '../../src/engine/onnx/emit';
import { attr } from '../../src/engine/onnx/graph';
import { DataType, decodeModel, encodeModel, type ModelProto, type TensorProto, type ValueInfo } from '../../src/engine/onnx/model';

export interface FormOptions {
  /**
   * 'unfused': MatMul, Where and Softmax as torch.onnx exported the model; 'attention': com.microsoft
   * Attention with the packed [d, 3d] Q/K/V weight and its bias, unidirectional (ONNX Runtime's
   * optimizer on GPT-2); 'mha': Q, K, V projected apart into com.microsoft MultiHeadAttention with
   * the three biases as its bias input and the causal mask as attention_bias; 'gqa':
   * com.microsoft GroupQueryAttention with as many K/V heads as query heads (causal; the biases
   * added before it, which has none).
   */
  attention: 'unfused' | 'attention' | 'mha' | 'gqa';
  /**
   * 'plain': Add and LayerNormalization, as exported. The skip forms fuse each Add with the norm
   * after it into com.microsoft SkipLayerNormalization, whose fourth output is the sum (the stream):
   * 'skip-residual-second' has the stream as `skip` (ONNX Runtime's optimizer on GPT-2) and the
   * projection's bias as the norm's `bias` input, as its bias fusion leaves it; 'skip-residual-first'
   * has the stream as `input` (onnxruntime-genai's builder), the bias added before. Ln1 of block 0
   * stays a LayerNormalization of the embedding; the final norm is the last skip norm, without its
   * sum output, as both exporters write it.
   */
  norms: 'plain' | 'skip-residual-second' | 'skip-residual-first';
  /** 'erf': x · (erf(x / √2) + 1) · 0.5 as exported; 'Gelu': com.microsoft Gelu of x·W + b; 'BiasGelu': com.microsoft BiasGelu(x·W, b). */
  gelu: 'erf' | 'Gelu' | 'BiasGelu';
  /**
   * 'nbits': every projection, the unembedding too, as 4-bit com.microsoft MatMulNBits (blocks of
   * NBITS_BLOCK along K, one scale each, the default zero point 8: transformers.js' q4 and
   * onnxruntime-genai's int4). 'dequantized': exactly those rounded weights, stored in float.
   */
  quantize?: 'nbits' | 'dequantized';
  /** A deliberately wrong copy: these two heads' query weights and biases exchanged in this layer. */
  swapQueryHeads?: { layer: number; heads: [number, number] };
}

/** The forms the golden test compares, by name (the script writes them under these names). */
export const FORMS: Record<string, FormOptions> = {
  // The builder's own rewrite of the exported graph: if this one misses the goldens, the builder is wrong.
  plain: { attention: 'unfused', norms: 'plain', gelu: 'erf' },
  attention: { attention: 'attention', norms: 'plain', gelu: 'erf' },
  mha: { attention: 'mha', norms: 'plain', gelu: 'erf' },
  gqa: { attention: 'gqa', norms: 'plain', gelu: 'erf' },
  'skip-residual-first': { attention: 'unfused', norms: 'skip-residual-first', gelu: 'erf' },
  'skip-residual-second': { attention: 'unfused', norms: 'skip-residual-second', gelu: 'erf' },
  gelu: { attention: 'unfused', norms: 'plain', gelu: 'Gelu' },
  // Everything ONNX Runtime's optimizer fuses in a GPT-2 at once.
  'ort-optimizer': { attention: 'attention', norms: 'skip-residual-second', gelu: 'BiasGelu' },
  // onnxruntime-genai's builder: separate projections into GroupQueryAttention, the stream first in its skip norms.
  'genai-builder': { attention: 'gqa', norms: 'skip-residual-first', gelu: 'Gelu' },
  nbits: { attention: 'unfused', norms: 'plain', gelu: 'erf', quantize: 'nbits' },
  'nbits-dequantized': { attention: 'unfused', norms: 'plain', gelu: 'erf', quantize: 'dequantized' },
};

/** MatMulNBits' block along K (onnxruntime-genai's and transformers.js' default) and its bits per weight. */
export const NBITS_BLOCK = 32;
const NBITS = 4;

/** A [rows, cols] row-major float32 matrix. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

interface Norm {
  gamma: Float32Array;
  beta: Float32Array;
}

interface LayerWeights {
  ln1: Norm;
  /** x·W + b with W [d, 3d]: the columns are Q, then K, then V, each head's d_head columns in order. */
  qkv: Matrix;
  qkvBias: Float32Array;
  out: Matrix;
  outBias: Float32Array;
  ln2: Norm;
  fcIn: Matrix;
  fcInBias: Float32Array;
  fcOut: Matrix;
  fcOutBias: Float32Array;
}

export interface DefaultWeights {
  heads: number;
  epsilon: number;
  /** [vocab, d]: the token embedding, and (transposed) the tied unembedding. */
  wte: Matrix;
  /** [positions, d]. */
  wpe: Matrix;
  layers: LayerWeights[];
  lnFinal: Norm;
}

function floats(t: TensorProto): Float32Array {
  if (t.dataType !== DataType.FLOAT || !t.rawData) throw new Error(`${t.name} is not a float32 tensor with raw data`);
  const raw = t.rawData;
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
}

/**
 * The default model's weights, read from its ONNX file. torch.onnx names each node after the
 * module that made it (`/model/blocks.0/attn/qkv/MatMul`) and each bias and norm weight after the
 * parameter (`model.blocks.0.attn.qkv.bias`); the MatMul weights are stored transposed, [in, out],
 * under generated names, so they are found as the second input of their module's MatMul.
 */
export function readDefaultWeights(onnx: Uint8Array, heads: number): DefaultWeights {
  const model = decodeModel(onnx);
  const initializers = new Map(model.graph.initializer.map((t) => [t.name, t]));
  const vector = (name: string) => {
    const t = initializers.get(name);
    if (!t) throw new Error(`the default model has no initializer ${name}`);
    return floats(t);
  };
  const matrix = (name: string): Matrix => {
    const t = initializers.get(name);
    if (t?.dims.length !== 2) throw new Error(`the default model has no matrix ${name}`);
    return { rows: t.dims[0], cols: t.dims[1], data: floats(t) };
  };
  const nodes = new Map(model.graph.node.map((n) => [n.name, n]));
  const weightOf = (module: string) => {
    const node = nodes.get(`/model/${module}/MatMul`);
    if (!node) throw new Error(`the default model has no MatMul of ${module}`);
    return matrix(node.input[1]);
  };
  const norm = (name: string): Norm => ({ gamma: vector(`model.${name}.weight`), beta: vector(`model.${name}.bias`) });
  const layerNorms = model.graph.node.filter((n) => n.opType === 'LayerNormalization');
  const epsilon = attr(layerNorms[0], 'epsilon')?.f;
  if (epsilon === undefined) throw new Error('the default model’s LayerNormalization has no epsilon');
  const layers: LayerWeights[] = [];
  for (let L = 0; initializers.has(`model.blocks.${L}.ln1.weight`); L++) {
    const b = `blocks.${L}`;
    layers.push({
      ln1: norm(`${b}.ln1`),
      qkv: weightOf(`${b}/attn/qkv`),
      qkvBias: vector(`model.${b}.attn.qkv.bias`),
      out: weightOf(`${b}/attn/out`),
      outBias: vector(`model.${b}.attn.out.bias`),
      ln2: norm(`${b}.ln2`),
      fcIn: weightOf(`${b}/mlp/fc_in`),
      fcInBias: vector(`model.${b}.mlp.fc_in.bias`),
      fcOut: weightOf(`${b}/mlp/fc_out`),
      fcOutBias: vector(`model.${b}.mlp.fc_out.bias`),
    });
  }
  return { heads, epsilon, wte: matrix('model.wte.weight'), wpe: matrix('model.wpe.weight'), layers, lnFinal: norm('ln_f') };
}

/** The default model's weights, read from the shipped folder. */
export function loadDefaultWeights(folder: string): DefaultWeights {
  const config = JSON.parse(fs.readFileSync(path.join(folder, 'config.json'), 'utf8')) as { n_head: number };
  return readDefaultWeights(fs.readFileSync(path.join(folder, 'onnx', 'model.onnx')), config.n_head);
}

/** Columns [from, from + count) of a matrix. */
function columns(m: Matrix, from: number, count: number): Matrix {
  const data = new Float32Array(m.rows * count);
  for (let r = 0; r < m.rows; r++) data.set(m.data.subarray(r * m.cols + from, r * m.cols + from + count), r * count);
  return { rows: m.rows, cols: count, data };
}

export function transpose(m: Matrix): Matrix {
  const data = new Float32Array(m.data.length);
  for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) data[c * m.rows + r] = m.data[r * m.cols + c];
  return { rows: m.cols, cols: m.rows, data };
}

/** The packed Q/K/V weight and bias with two query heads' columns exchanged. */
function swapHeads(qkv: Matrix, bias: Float32Array, [a, b]: [number, number], dHead: number): { qkv: Matrix; bias: Float32Array } {
  const data = qkv.data.slice();
  const swapped = bias.slice();
  for (let i = 0; i < dHead; i++) {
    const [ca, cb] = [a * dHead + i, b * dHead + i];
    for (let r = 0; r < qkv.rows; r++) [data[r * qkv.cols + ca], data[r * qkv.cols + cb]] = [data[r * qkv.cols + cb], data[r * qkv.cols + ca]];
    [swapped[ca], swapped[cb]] = [swapped[cb], swapped[ca]];
  }
  return { qkv: { ...qkv, data }, bias: swapped };
}

/**
 * `w` [k, n] in MatMulNBits' 4-bit form: per column and block of NBITS_BLOCK rows, a scale
 * max|w| / 7 and values 0..15 around the default zero point 8, packed two to a byte, low nibble
 * first ([n, k / NBITS_BLOCK, NBITS_BLOCK / 2]). `values` [k, n] is what the operator makes of
 * them: (q − 8) · scale in float32, which is what the dequantized copy stores.
 */
export function quantizeNbits(w: Matrix): { packed: Uint8Array; scales: Float32Array; values: Matrix } {
  const { rows: k, cols: n } = w;
  if (k % NBITS_BLOCK) throw new Error(`K = ${k} is not a multiple of the block size ${NBITS_BLOCK}`);
  const blocks = k / NBITS_BLOCK;
  const zero = 2 ** (NBITS - 1);
  const packed = new Uint8Array((n * k) / 2);
  const scales = new Float32Array(n * blocks);
  const values = new Float32Array(k * n);
  const q = new Uint8Array(NBITS_BLOCK);
  for (let col = 0; col < n; col++) {
    for (let b = 0; b < blocks; b++) {
      let max = 0;
      for (let i = 0; i < NBITS_BLOCK; i++) max = Math.max(max, Math.abs(w.data[(b * NBITS_BLOCK + i) * n + col]));
      const scale = Math.fround(max / (zero - 1));
      scales[col * blocks + b] = scale;
      for (let i = 0; i < NBITS_BLOCK; i++) {
        const r = b * NBITS_BLOCK + i;
        q[i] = scale === 0 ? zero : Math.max(0, Math.min(2 * zero - 1, Math.round(w.data[r * n + col] / scale) + zero));
        values[r * n + col] = Math.fround((q[i] - zero) * scale);
      }
      const at = (col * blocks + b) * (NBITS_BLOCK / 2);
      for (let i = 0; i < NBITS_BLOCK; i += 2) packed[at + i / 2] = q[i] | (q[i + 1] << 4);
    }
  }
  return { packed, scales, values: { rows: k, cols: n, data: values } };
}

/** The default model's weights rewritten into one form, as ONNX bytes. */
export function buildFusedForm(weights: DefaultWeights, options: FormOptions): Uint8Array {
  const o = options;
  const { heads, epsilon } = weights;
  const [vocab, d] = [weights.wte.rows, weights.wte.cols];
  const dHead = d / heads;
  const em = new Emitter(17, 'f/');
  /** A weight under a readable name (Emitter's own constants get generated ones). */
  const param = (name: string, dims: number[], values: Float32Array | Uint8Array, type = DataType.FLOAT) => {
    em.initializers.push(makeTensor(name, type, dims, values));
    return name;
  };
  const vector = (name: string, v: Float32Array) => param(name, [v.length], v);

  /** x · W, as `o.quantize` says it is stored. */
  const matMul = (x: string, w: Matrix, name: string) => {
    if (!o.quantize) return em.op1('MatMul', [x, param(name, [w.rows, w.cols], w.data)]);
    const { packed, scales, values } = quantizeNbits(w);
    if (o.quantize === 'dequantized') return em.op1('MatMul', [x, param(name, [w.rows, w.cols], values.data)]);
    const blocks = w.rows / NBITS_BLOCK;
    const b = param(`${name}.q4`, [w.cols, blocks, NBITS_BLOCK / 2], packed, DataType.UINT8);
    const s = param(`${name}.scales`, [w.cols * blocks], scales);
    return em.op1('MatMulNBits', [x, b, s], { K: w.rows, N: w.cols, bits: NBITS, block_size: NBITS_BLOCK }, 'com.microsoft');
  };
  /** x · W + b, the bias added after the product as torch exports nn.Linear. */
  const linear = (x: string, w: Matrix, bias: Float32Array, name: string) => em.op1('Add', [matMul(x, w, `${name}.weight`), vector(`${name}.bias`, bias)]);

  const inputs: ValueInfo[] = [
    { name: 'input_ids', elemType: DataType.INT64, shape: ['batch', 'sequence'] },
    { name: 'attention_mask', elemType: DataType.INT64, shape: ['batch', 'sequence'] },
  ];
  const seqLen = em.squeeze(em.dim('input_ids', 1), [0]);
  const positions = em.op1('Range', [em.scalar(0, DataType.INT64), seqLen, em.scalar(1, DataType.INT64)]); // [s]
  const wte = param('wte.weight', [vocab, d], weights.wte.data);
  const tokenRows = em.op1('Gather', [wte, 'input_ids'], { axis: 0 });
  const positionRows = em.op1('Gather', [param('wpe.weight', [weights.wpe.rows, d], weights.wpe.data), positions], { axis: 0 });
  const embedding = em.op1('Add', [tokenRows, positionRows]); // [b, s, d]

  // Where a query may look, [b, 1, s, s]: keys at or before it that the attention mask keeps, as model.py's mask.
  const allowed = (() => {
    const causal = em.op1('LessOrEqual', [em.unsqueeze(positions, [0]), em.unsqueeze(positions, [1])]); // [s (query), s (key)]
    const present = em.unsqueeze(em.cast('attention_mask', DataType.BOOL), [1, 2]); // [b, 1, 1, s]
    return em.op1('And', [em.unsqueeze(causal, [0, 1]), present]);
  })();
  // The same as an additive bias, for MultiHeadAttention's attention_bias: 0 where allowed, −1e9 (model.py's MASKED_SCORE) elsewhere.
  const maskBias = em.op1('Where', [allowed, em.scalar(0), em.scalar(-1e9)]);
  const int32 = (t: string) => em.cast(t, DataType.INT32);
  const splitHeads = (t: string, perm: number[]) => em.op1('Transpose', [em.reshape(t, em.ints([0, 0, heads, dHead]))], { perm });

  /** The attention of block L on its normalized input h, before the output projection: [b, s, d]. */
  const attention = (h: string, L: number): string => {
    const w = weights.layers[L];
    const swap = o.swapQueryHeads?.layer === L ? swapHeads(w.qkv, w.qkvBias, o.swapQueryHeads.heads, dHead) : undefined;
    const qkv = swap?.qkv ?? w.qkv;
    const qkvBias = swap?.bias ?? w.qkvBias;
    const name = `blocks.${L}.attn`;
    switch (o.attention) {
      case 'unfused': {
        // As torch.onnx wrote model.py's Attention: split, heads first, Kᵀ by one Transpose, /√d_head, Where, Softmax.
        const [q, k, v] = em.split(linear(h, qkv, qkvBias, `${name}.qkv`), 2, [d, d, d]);
        const scores = em.op1('Div', [em.op1('MatMul', [splitHeads(q, [0, 2, 1, 3]), splitHeads(k, [0, 2, 3, 1])]), em.scalar(Math.sqrt(dHead))]);
        const pattern = em.op1('Softmax', [em.op1('Where', [allowed, scores, em.scalar(-1e9)])], { axis: -1 });
        const z = em.op1('MatMul', [pattern, splitHeads(v, [0, 2, 1, 3])]);
        return em.reshape(em.op1('Transpose', [z], { perm: [0, 2, 1, 3] }), em.ints([0, 0, d]));
      }
      case 'attention':
        return em.op1(
          'Attention',
          [h, param(`${name}.qkv.weight`, [d, 3 * d], qkv.data), vector(`${name}.qkv.bias`, qkvBias), int32('attention_mask')],
          { num_heads: heads, unidirectional: 1 },
          'com.microsoft',
        );
      case 'mha': {
        const [q, k, v] = [0, 1, 2].map((i) => matMul(h, columns(qkv, i * d, d), `${name}.${'qkv'[i]}.weight`));
        return em.op1('MultiHeadAttention', [q, k, v, vector(`${name}.qkv.bias`, qkvBias), '', maskBias], { num_heads: heads }, 'com.microsoft');
      }
      case 'gqa': {
        const [q, k, v] = [0, 1, 2].map((i) => linear(h, columns(qkv, i * d, d), qkvBias.subarray(i * d, (i + 1) * d), `${name}.${'qkv'[i]}`));
        // An empty cache, as onnxruntime-genai's exports take one per layer; seqlens_k is each row's last position.
        const past = [`past_key_values.${L}.key`, `past_key_values.${L}.value`];
        for (const p of past) inputs.push({ name: p, elemType: DataType.FLOAT, shape: ['batch', heads, 'past_sequence_length', dHead] });
        const seqlensK = int32(em.op1('Sub', [em.reduce('ReduceSum', 'attention_mask', [1], 0), em.scalar(1, DataType.INT64)]));
        const total = int32(em.squeeze(em.dim('attention_mask', 1), [0]));
        const [out] = em.op('GroupQueryAttention', [q, k, v, ...past, seqlensK, total], { num_heads: heads, kv_num_heads: heads }, 3, 'com.microsoft');
        return out;
      }
    }
  };

  /** The MLP's hidden activation (the GELU of fc_in) of block L on its normalized input h. */
  const mlpHidden = (h: string, L: number): string => {
    const w = weights.layers[L];
    const name = `blocks.${L}.mlp.fc_in`;
    if (o.gelu === 'BiasGelu') return em.op1('BiasGelu', [matMul(h, w.fcIn, `${name}.weight`), vector(`${name}.bias`, w.fcInBias)], {}, 'com.microsoft');
    const pre = linear(h, w.fcIn, w.fcInBias, name);
    if (o.gelu === 'Gelu') return em.op1('Gelu', [pre], {}, 'com.microsoft');
    const erf = em.op1('Erf', [em.op1('Div', [pre, em.scalar(Math.SQRT2)])]);
    return em.op1('Mul', [em.op1('Mul', [pre, em.op1('Add', [erf, em.scalar(1)])]), em.scalar(0.5)]);
  };

  const layerNorm = (x: string, n: Norm, name: string) =>
    em.op1('LayerNormalization', [x, vector(`${name}.weight`, n.gamma), vector(`${name}.bias`, n.beta)], { axis: -1, epsilon: { float: epsilon } });
  /**
   * A projection's write added to the stream, and the norm after it: [normalized, the new stream].
   * `withSum` false leaves a skip norm without its sum output (the final norm).
   */
  const addAndNorm = (
    stream: string,
    x: string,
    w: Matrix,
    bias: Float32Array,
    name: string,
    norm: Norm,
    normName: string,
    withSum = true,
  ): [string, string] => {
    if (o.norms === 'plain') {
      const sum = em.op1('Add', [stream, linear(x, w, bias, name)]);
      return [layerNorm(sum, norm, normName), sum];
    }
    const [normed, sum] = [em.fresh('normed'), withSum ? em.fresh('stream') : ''];
    const gammaBeta = [vector(`${normName}.weight`, norm.gamma), vector(`${normName}.bias`, norm.beta)];
    const operands =
      o.norms === 'skip-residual-first'
        ? [stream, linear(x, w, bias, name), ...gammaBeta]
        : [matMul(x, w, `${name}.weight`), stream, ...gammaBeta, vector(`${name}.bias`, bias)];
    em.nodes.push(makeNode('SkipLayerNormalization', operands, withSum ? [normed, '', '', sum] : [normed], { epsilon: { float: epsilon } }, 'com.microsoft'));
    return [normed, sum];
  };

  let stream = embedding;
  let normed = layerNorm(stream, weights.layers[0].ln1, 'blocks.0.ln1');
  weights.layers.forEach((w, L) => {
    const last = L === weights.layers.length - 1;
    const b = `blocks.${L}`;
    [normed, stream] = addAndNorm(stream, attention(normed, L), w.out, w.outBias, `${b}.attn.out`, w.ln2, `${b}.ln2`);
    const [nextNorm, nextName] = last ? [weights.lnFinal, 'ln_f'] : [weights.layers[L + 1].ln1, `blocks.${L + 1}.ln1`];
    const hidden = mlpHidden(normed, L);
    if (o.norms === 'plain') {
      stream = em.op1('Add', [stream, linear(hidden, w.fcOut, w.fcOutBias, `${b}.mlp.fc_out`)]);
      normed = layerNorm(stream, nextNorm, nextName);
    } else [normed, stream] = addAndNorm(stream, hidden, w.fcOut, w.fcOutBias, `${b}.mlp.fc_out`, nextNorm, nextName, !last);
  });
  // The tied unembedding: the token embedding transposed, as export_onnx.py shares it; a quantized copy stores it as its own 4-bit matrix.
  const logits = o.quantize ? matMul(normed, transpose(weights.wte), 'unembed') : em.op1('MatMul', [normed, em.op1('Transpose', [wte], { perm: [1, 0] })]);
  em.nodes.push(makeNode('Identity', [logits], ['logits']));

  const model: ModelProto = {
    irVersion: 8,
    producerName: 'model-lens fused forms',
    producerVersion: '',
    opsetImport: [
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ],
    graph: {
      name: 'lens-tiny',
      node: em.nodes,
      initializer: em.initializers,
      input: inputs,
      output: [{ name: 'logits', elemType: DataType.FLOAT, shape: ['batch', 'sequence', vocab] }],
      valueInfo: [],
    },
  };
  return encodeModel(model);
}

/** The files of the default model's folder besides the ONNX file: a form's folder loads with the same tokenizer and config. */
const FOLDER_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];

/** A model folder for a form: onnx/model.onnx, and the default model's tokenizer and config. */
export function writeFormFolder(dir: string, onnx: Uint8Array, defaultModel: string): string {
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'onnx', 'model.onnx'), onnx);
  for (const file of FOLDER_FILES) fs.copyFileSync(path.join(defaultModel, file), path.join(dir, file));
  return dir;
}

/** Every form of FORMS written under `out`, one model folder each; returns the folders. */
export function writeFusedForms(defaultModel: string, out: string): string[] {
  const weights = loadDefaultWeights(defaultModel);
  return Object.entries(FORMS).map(([name, options]) => writeFormFolder(path.join(out, name), buildFusedForm(weights, options), defaultModel));
}
