// Small decoder-only language models with random weights, built as ONNX graphs in the forms
// real exporters produce: unfused MatMul/Softmax attention (torch.onnx), ONNX Runtime's fused
// Attention, MultiHeadAttention with RoPE applied before it, GroupQueryAttention with its own
// rotary, and an attention written without a Softmax node — with plain or fused norms, the
// residual stream in either operand of the fused ones. The engine must read all of them.
import { Emitter, makeNode } from '../../src/engine/onnx/emit';
import { DataType, decodeModel, encodeModel, fromValueInfo, type ModelProto, type ValueInfo } from '../../src/engine/onnx/model';

export type AttentionForm = 'unfused' | 'fused-attention' | 'mha' | 'mha-rope' | 'gqa' | 'gqa-packed' | 'gqa-window-softcap' | 'manual-softmax';

export interface DecoderOptions {
  attention: AttentionForm;
  layers?: number;
  heads?: number;
  kvHeads?: number;
  dModel?: number;
  dMlp?: number;
  vocab?: number;
  positions?: number;
  opset?: number;
  seed?: number;
  /** Output the final hidden state instead of logits (a graph without a language-model head). */
  hiddenStateOnly?: boolean;
  /** A sequence classifier instead: logits [batch, classes] from the mean of the final hidden state (a sentiment model's head). */
  classes?: number;
  /** Weights, activations and logits in float16, as fp16 exports have them. */
  float16?: boolean;
  /**
   * How the norms are written: ONNX operators, or ONNX Runtime's fused Skip(Simplified)LayerNormalization
   * (normalizes input + skip, and outputs the sum fourth) with the residual stream as `skip`, the
   * second operand (ONNX Runtime's optimizer on GPT-2), or as `input`, the first (onnxruntime-genai's
   * builder). Fused forms leave the final norm without its sum output, as both exporters do. The
   * weights are the same in every form.
   */
  norms?: 'plain' | 'fused-residual-second' | 'fused-residual-first';
  /** RMS norms (Llama, Qwen, Phi-3) instead of LayerNorm: SimplifiedLayerNormalization when fused. */
  rms?: boolean;
  /** A Loop of this many iterations in front of the logits: a graph that runs as long as it says. */
  loopTrips?: number;
  /**
   * Quantized projections (every linear map and the unembedding), as quantized exports store them:
   * int8 weights behind DequantizeLinear (QDQ), or 4-bit blocks in com.microsoft's MatMulNBits
   * (onnxruntime-genai int4, transformers.js q4). With `dequantized`, the same rounded weights are
   * stored in float instead: the model a quantized one must compute exactly like. `dynamic` is
   * onnxruntime's `quantize_dynamic` (the int8 "model_quantized.onnx" of transformers.js): each
   * activation is rounded to uint8 per run by DynamicQuantizeLinear (one node per tensor, shared
   * by the projections that read it), the weight is a symmetric int8 initializer, and
   * MatMulInteger's int32 is cast to float and multiplied by x_scale · w_scale; the embedding
   * tables are int8 behind DequantizeLinear after the Gather. Its `dequantized`
   * copy has the same weights but float activations, so it matches only up to the activation
   * rounding.
   */
  quantize?: 'qdq' | 'nbits' | 'dynamic';
  dequantized?: boolean;
  /**
   * The token embedding in com.microsoft's GatherBlockQuantized, as onnxruntime-genai's int4
   * builder writes it: 4-bit values along d_model in blocks of 16, one scale per block, the
   * default zero point 8. With `dequantized`, a Gather of the same rounded table in float.
   */
  quantizedEmbedding?: boolean;
  /**
   * A batch of one only, as some exports have it: declared on the inputs ('declared'), or kept
   * symbolic there but fixed inside, where the heads are merged back ('inside': a Reshape to
   * [1, -1, d_model], which a batch of two turns into one long sequence that no longer adds to
   * the residual stream).
   */
  singleBatch?: 'declared' | 'inside';
  /**
   * Rotary embeddings written as ONNX arithmetic (unfused attention only), as torch exports
   * Hugging Face's Llama: q·cos + rotate_half(q)·sin after the head split, rotate_half(x) =
   * Concat(−x[half:], x[:half]), with cos and sin [1, 1, pos, d_head] (each frequency twice).
   * 'cached' gathers them from constant tables by position (older exports); 'computed' takes Cos
   * and Sin of inv_freq × positions in the graph (newer ones). No position table is added.
   */
  unfusedRotary?: 'cached' | 'computed';
  /** A gated MLP, Llama's: down(SiLU(gate(x)) · up(x)), SiLU written as x · Sigmoid(x). */
  gatedMlp?: boolean;
}

/** MatMulNBits' block of weights along K, and its bits per weight. */
const NBITS_BLOCK = 16;
const NBITS = 4;

/**
 * `w` ([k, n], row-major) rounded to int8 with one scale (symmetric): the int8 values, the scale,
 * and what DequantizeLinear makes of them.
 */
function quantizeInt8(w: number[]): { q: number[]; scale: number; values: number[] } {
  const scale = Math.fround(Math.max(...w.map(Math.abs)) / 127);
  const q = w.map((x) => Math.max(-127, Math.min(127, Math.round(x / scale))));
  return { q, scale, values: q.map((x) => Math.fround(x * scale)) };
}

/**
 * `w` ([k, n], row-major) in MatMulNBits' 4-bit form: per column n and block of NBITS_BLOCK rows, a
 * scale and values 0..15 around the default zero point 8, packed two to a byte, low nibble first
 * ([n, blocks, NBITS_BLOCK / 2]). Also what the operator makes of them, as [k, n].
 */
function quantizeNbits(w: number[], k: number, n: number): { packed: number[]; scales: number[]; values: number[] } {
  const blocks = k / NBITS_BLOCK;
  const zero = 2 ** (NBITS - 1);
  const packed: number[] = [];
  const scales: number[] = [];
  const values = new Array<number>(k * n);
  for (let col = 0; col < n; col++) {
    for (let b = 0; b < blocks; b++) {
      const rows = Array.from({ length: NBITS_BLOCK }, (_, i) => b * NBITS_BLOCK + i);
      const scale = Math.fround(Math.max(...rows.map((r) => Math.abs(w[r * n + col]))) / (zero - 1));
      scales.push(scale);
      const q = rows.map((r) => Math.max(0, Math.min(2 * zero - 1, Math.round(w[r * n + col] / scale) + zero)));
      rows.forEach((r, i) => (values[r * n + col] = Math.fround((q[i] - zero) * scale)));
      for (let i = 0; i < NBITS_BLOCK; i += 2) packed.push(q[i] | (q[i + 1] << 4));
    }
  }
  return { packed, scales, values };
}

/** A deterministic generator (mulberry32), so the same options always give the same model. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function buildDecoder(options: DecoderOptions): Uint8Array {
  // ONNX Runtime's GroupQueryAttention needs head sizes that are multiples of 16.
  const dModel = options.attention.startsWith('gqa') ? 64 : 32;
  const o = { layers: 2, heads: 4, kvHeads: 2, dModel, dMlp: 64, vocab: 64, positions: 64, opset: 17, seed: 1, ...options };
  const dh = o.dModel / o.heads;
  const rand = random(o.seed);
  const em = new Emitter(o.opset, 't/');
  const ft = o.float16 ? DataType.FLOAT16 : DataType.FLOAT;
  const weight = (dims: number[], scale = 0.3) =>
    em.constant(
      ft,
      dims,
      Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (rand() * 2 - 1) * scale),
      'w',
    );
  const ones = (n: number) => em.constant(ft, [n], Array(n).fill(1), 'gamma');
  const zeros = (n: number) => em.constant(ft, [n], Array(n).fill(0), 'beta');
  const epsilon = { float: 1e-5 };
  const rmsNorm = (x: string) => {
    const rms = em.op1('Sqrt', [em.op1('Add', [em.reduce('ReduceMean', em.op1('Mul', [x, x]), [-1]), em.scalar(1e-5, ft)])]);
    return em.op1('Mul', [em.op1('Div', [x, rms]), ones(o.dModel)]);
  };
  const layerNorm = (x: string) =>
    o.norms && o.norms !== 'plain'
      ? em.op1(o.rms ? 'SimplifiedLayerNormalization' : 'LayerNormalization', o.rms ? [x, ones(o.dModel)] : [x, ones(o.dModel), zeros(o.dModel)], {
          axis: -1,
          epsilon,
        })
      : o.rms
        ? rmsNorm(x)
        : em.op1('LayerNormalization', [x, ones(o.dModel), zeros(o.dModel)], { axis: -1, epsilon });
  /** The stream plus a branch, and its norm: [normalized, sum]; the sum is not an output when `withSum` is false. */
  const addAndNorm = (stream: string, branch: string, withSum: boolean): [string, string] => {
    if (!o.norms || o.norms === 'plain') {
      const sum = em.op1('Add', [stream, branch]);
      return [layerNorm(sum), sum];
    }
    const [normed, sum] = [em.fresh('normed'), withSum ? em.fresh('sum') : ''];
    const operands = o.norms === 'fused-residual-first' ? [stream, branch] : [branch, stream];
    const weights = o.rms ? [ones(o.dModel)] : [ones(o.dModel), zeros(o.dModel)];
    const type = o.rms ? 'SkipSimplifiedLayerNormalization' : 'SkipLayerNormalization';
    em.nodes.push(makeNode(type, [...operands, ...weights], withSum ? [normed, '', '', sum] : [normed], { epsilon }, 'com.microsoft'));
    return [normed, sum];
  };
  /** DynamicQuantizeLinear of each activation, made once and shared, as quantize_dynamic does. */
  const dynamicallyQuantized = new Map<string, string[]>();
  /** x · W for W [dIn, dOut] of random values around ±scale, stored as `o.quantize` says. */
  const project = (x: string, dIn: number, dOut: number, scale: number) => {
    if (!o.quantize) return em.op1('MatMul', [x, weight([dIn, dOut], scale)]);
    const w = Array.from({ length: dIn * dOut }, () => (rand() * 2 - 1) * scale);
    if (o.quantize === 'dynamic') {
      const { q, scale: s, values } = quantizeInt8(w);
      if (o.dequantized) return em.op1('MatMul', [x, em.constant(ft, [dIn, dOut], values, 'w')]);
      let quantized = dynamicallyQuantized.get(x);
      if (!quantized) dynamicallyQuantized.set(x, (quantized = em.op('DynamicQuantizeLinear', [x], {}, 3))); // x_q (uint8), x_scale, x_zp
      const [xq, xScale, xZero] = quantized;
      const product = em.op1('MatMulInteger', [xq, em.constant(DataType.INT8, [dIn, dOut], q, 'wq'), xZero, em.constant(DataType.INT8, [], [0], 'zp')]);
      const scales = em.op1('Mul', [xScale, em.scalar(s, DataType.FLOAT)]);
      return em.op1('Mul', [em.cast(product, DataType.FLOAT), scales]);
    }
    if (o.quantize === 'qdq') {
      const { q, scale: s, values } = quantizeInt8(w);
      if (o.dequantized) return em.op1('MatMul', [x, em.constant(ft, [dIn, dOut], values, 'w')]);
      const dequantized = em.op1('DequantizeLinear', [
        em.constant(DataType.INT8, [dIn, dOut], q, 'wq'),
        em.scalar(s, DataType.FLOAT),
        em.constant(DataType.INT8, [], [0], 'zp'),
      ]);
      return em.op1('MatMul', [x, dequantized]);
    }
    const { packed, scales, values } = quantizeNbits(w, dIn, dOut);
    if (o.dequantized) return em.op1('MatMul', [x, em.constant(ft, [dIn, dOut], values, 'w')]);
    const blocks = dIn / NBITS_BLOCK;
    const weights = em.constant(DataType.UINT8, [dOut, blocks, NBITS_BLOCK / 2], packed, 'wq');
    return em.op1(
      'MatMulNBits',
      [x, weights, em.constant(ft, [dOut * blocks], scales, 'scales')],
      { K: dIn, N: dOut, bits: NBITS, block_size: NBITS_BLOCK },
      'com.microsoft',
    );
  };
  const linear = (x: string, dIn: number, dOut: number) => project(x, dIn, dOut, 1 / Math.sqrt(dIn));
  /**
   * Rows of a random table [rows, d]. quantize_dynamic quantizes these too (its Gather rule): an
   * int8 table looked up, then DequantizeLinear.
   */
  const lookup = (dims: number[], indices: string) => {
    if (o.quantize !== 'dynamic') return em.op1('Gather', [weight(dims, 1), indices], { axis: 0 });
    const { q, scale, values } = quantizeInt8(Array.from({ length: dims[0] * dims[1] }, () => rand() * 2 - 1));
    if (o.dequantized) return em.op1('Gather', [em.constant(ft, dims, values, 'w'), indices], { axis: 0 });
    const rows = em.op1('Gather', [em.constant(DataType.INT8, dims, q, 'wq'), indices], { axis: 0 });
    return em.op1('DequantizeLinear', [rows, em.scalar(scale, DataType.FLOAT), em.constant(DataType.INT8, [], [0], 'zp')]);
  };

  const inputs: ValueInfo[] = [
    { name: 'input_ids', elemType: DataType.INT64, shape: [o.singleBatch === 'declared' ? 1 : 'batch', 'sequence'] },
    { name: 'attention_mask', elemType: DataType.INT64, shape: [o.singleBatch === 'declared' ? 1 : 'batch', 'sequence'] },
  ];
  const seqLen = em.squeeze(em.dim('input_ids', 1), [0]);
  const positions = em.op1('Range', [em.scalar(0, DataType.INT64), seqLen, em.scalar(1, DataType.INT64)]); // [s]
  const rotaryForm = o.attention === 'mha-rope' || o.attention.startsWith('gqa') || !!o.unfusedRotary;
  let x: string; // [1, s, d]
  if (o.quantizedEmbedding) {
    const table = Array.from({ length: o.vocab * o.dModel }, () => rand() * 2 - 1);
    // Blocks run along d_model, so the table is quantized as the [d_model, vocab] matrix MatMulNBits would take.
    const transposed = Array.from({ length: table.length }, (_, i) => table[(i % o.vocab) * o.dModel + Math.floor(i / o.vocab)]);
    const { packed, scales, values } = quantizeNbits(transposed, o.dModel, o.vocab);
    if (o.dequantized) {
      const rounded = Array.from({ length: table.length }, (_, i) => values[(i % o.dModel) * o.vocab + Math.floor(i / o.dModel)]);
      x = em.op1('Gather', [em.constant(ft, [o.vocab, o.dModel], rounded, 'w'), 'input_ids'], { axis: 0 });
    } else {
      const data = em.constant(DataType.UINT8, [o.vocab, o.dModel / 2], packed, 'wq');
      const blockScales = em.constant(ft, [o.vocab, o.dModel / NBITS_BLOCK], scales, 'scales');
      x = em.op1(
        'GatherBlockQuantized',
        [data, 'input_ids', blockScales],
        { gather_axis: 0, quantize_axis: 1, block_size: NBITS_BLOCK, bits: NBITS },
        'com.microsoft',
      );
    }
  } else x = lookup([o.vocab, o.dModel], 'input_ids');
  if (!rotaryForm) x = em.op1('Add', [x, lookup([o.positions, o.dModel], positions)]);

  // Rotary tables, as exporters store them: cos/sin of position × inverse frequency, [positions, dh / 2].
  const half = dh / 2;
  const angles = (f: (v: number) => number) =>
    em.constant(
      ft,
      [o.positions, half],
      Array.from({ length: o.positions * half }, (_, i) => f(Math.floor(i / half) / 10000 ** ((2 * (i % half)) / dh))),
    );
  const fusedRotary = rotaryForm && !o.unfusedRotary;
  const cos = fusedRotary ? angles(Math.cos) : '';
  const sin = fusedRotary ? angles(Math.sin) : '';
  // The unfused form's [1, 1, s, d_head] cos and sin, each frequency's angle in both halves.
  const inverseFrequencies = Array.from({ length: half }, (_, i) => 1 / 10000 ** ((2 * i) / dh));
  const fullAngles = (f: (v: number) => number) =>
    em.constant(
      ft,
      [o.positions, dh],
      Array.from({ length: o.positions * dh }, (_, i) => f(Math.floor(i / dh) * inverseFrequencies[(i % dh) % half])),
    );
  const unfusedCosSin = (): [string, string] => {
    if (o.unfusedRotary === 'cached') {
      const rows = (table: string) => em.unsqueeze(em.op1('Gather', [table, positions], { axis: 0 }), [0, 1]);
      return [rows(fullAngles(Math.cos)), rows(fullAngles(Math.sin))];
    }
    const inverse = em.constant(DataType.FLOAT, [half, 1], inverseFrequencies);
    const freqs = em.op1('Transpose', [em.op1('MatMul', [inverse, em.unsqueeze(em.cast(positions, DataType.FLOAT), [0])])], { perm: [1, 0] }); // [s, half]
    const emb = em.op1('Concat', [freqs, freqs], { axis: -1 }); // [s, d_head]
    const typed = (t: string) => em.unsqueeze(o.float16 ? em.cast(t, ft) : t, [0, 1]);
    return [typed(em.op1('Cos', [emb])), typed(em.op1('Sin', [emb]))];
  };
  const [ropeCos, ropeSin] = o.unfusedRotary ? unfusedCosSin() : ['', ''];
  /** x [b, h, s, d_head] rotated: x·cos + rotate_half(x)·sin. */
  const rotateUnfused = (x: string) => {
    const rotated = em.op1('Concat', [em.op1('Neg', [em.slice(x, [half], [dh], [3])]), em.slice(x, [0], [half], [3])], { axis: -1 });
    return em.op1('Add', [em.op1('Mul', [x, ropeCos]), em.op1('Mul', [rotated, ropeSin])]);
  };

  // Causal mask [1, 1, s, s]: 0 where allowed, a large negative number above the diagonal.
  const causalBias = () => {
    const rows = em.unsqueeze(positions, [1]);
    const cols = em.unsqueeze(positions, [0]);
    const mask = em.op1('Where', [em.op1('Greater', [cols, rows]), em.scalar(o.float16 ? -65504 : -1e9, ft), em.scalar(0, ft)]);
    return em.unsqueeze(mask, [0, 1]);
  };
  const headsFirst = (t: string, heads: number) => em.op1('Transpose', [em.reshape(t, em.ints([0, 0, heads, dh]))], { perm: [0, 2, 1, 3] });
  const merge = (t: string) =>
    em.reshape(em.op1('Transpose', [t], { perm: [0, 2, 1, 3] }), em.ints(o.singleBatch === 'inside' ? [1, -1, o.dModel] : [0, 0, o.dModel]));
  const int32 = (t: string) => em.cast(t, DataType.INT32);

  const attention = (h: string, layer: number): string => {
    switch (o.attention) {
      case 'unfused':
      case 'manual-softmax': {
        let q = headsFirst(linear(h, o.dModel, o.dModel), o.heads);
        // Kᵀ straight from [b, s, h, d], as torch exports `k.permute(0, 2, 3, 1)`; with rotary,
        // from the rotated [b, h, s, d], as `k.transpose(-1, -2)`.
        let kT: string;
        if (o.unfusedRotary) {
          q = rotateUnfused(q);
          kT = em.op1('Transpose', [rotateUnfused(headsFirst(linear(h, o.dModel, o.dModel), o.heads))], { perm: [0, 1, 3, 2] });
        } else kT = em.op1('Transpose', [em.reshape(linear(h, o.dModel, o.dModel), em.ints([0, 0, o.heads, dh]))], { perm: [0, 2, 3, 1] });
        const v = headsFirst(linear(h, o.dModel, o.dModel), o.heads);
        const scores = em.op1('Add', [em.op1('Div', [em.op1('MatMul', [q, kT]), em.scalar(Math.sqrt(dh), ft)]), causalBias()]);
        let pattern: string;
        if (o.attention === 'unfused') pattern = em.op1('Softmax', [scores], { axis: -1 });
        else {
          const e = em.op1('Exp', [em.op1('Sub', [scores, em.reduce('ReduceMax', scores, [-1])])]);
          pattern = em.op1('Div', [e, em.reduce('ReduceSum', e, [-1])]);
        }
        return merge(em.op1('MatMul', [pattern, v]));
      }
      case 'fused-attention':
        return em.op1(
          'Attention',
          [h, weight([o.dModel, 3 * o.dModel], 1 / Math.sqrt(o.dModel)), weight([3 * o.dModel], 0.1), int32('attention_mask')],
          { num_heads: o.heads, unidirectional: 1 },
          'com.microsoft',
        );
      case 'mha':
      case 'mha-rope': {
        let q = linear(h, o.dModel, o.dModel);
        let k = linear(h, o.dModel, o.dModel);
        const v = linear(h, o.dModel, o.dModel);
        if (o.attention === 'mha-rope') {
          // [batch, s], as exports feed RotaryEmbedding the position_ids input.
          const positionIds = em.op1('Expand', [em.unsqueeze(positions, [0]), em.op1('Shape', ['input_ids'])]);
          const rope = (t: string) => em.op1('RotaryEmbedding', [t, positionIds, cos, sin], { num_heads: o.heads }, 'com.microsoft');
          q = rope(q);
          k = rope(k);
        }
        return em.op1('MultiHeadAttention', [q, k, v, weight([3 * o.dModel], 0.1), '', causalBias()], { num_heads: o.heads }, 'com.microsoft');
      }
      default: {
        const kvD = o.kvHeads * dh;
        const seqlensK = int32(em.op1('Sub', [em.reduce('ReduceSum', 'attention_mask', [1], 0), em.scalar(1, DataType.INT64)]));
        const total = int32(em.squeeze(em.dim('attention_mask', 1), [0]));
        const past = [`past_key_values.${layer}.key`, `past_key_values.${layer}.value`];
        for (const name of past) inputs.push({ name, elemType: ft, shape: ['batch', o.kvHeads, 'past_sequence_length', dh] });
        const qkv =
          o.attention === 'gqa-packed'
            ? [linear(h, o.dModel, o.dModel + 2 * kvD), '', '']
            : [linear(h, o.dModel, o.dModel), linear(h, o.dModel, kvD), linear(h, o.dModel, kvD)];
        const attrs: Record<string, number | { float: number }> = { num_heads: o.heads, kv_num_heads: o.kvHeads, do_rotary: 1 };
        if (o.attention === 'gqa-window-softcap') {
          attrs.local_window_size = 3;
          attrs.softcap = { float: 2 };
          attrs.rotary_interleaved = 1;
        }
        const [out] = em.op('GroupQueryAttention', [...qkv, ...past, seqlensK, total, cos, sin], attrs, 3, 'com.microsoft');
        return out;
      }
    }
  };

  let normed = layerNorm(x);
  for (let layer = 0; layer < o.layers; layer++) {
    const attended = linear(attention(normed, layer), o.dModel, o.dModel);
    [normed, x] = addAndNorm(x, attended, true);
    let activated: string;
    if (o.gatedMlp) {
      const gate = linear(normed, o.dModel, o.dMlp);
      activated = em.op1('Mul', [em.op1('Mul', [gate, em.op1('Sigmoid', [gate])]), linear(normed, o.dModel, o.dMlp)]);
    } else {
      const up = linear(normed, o.dModel, o.dMlp);
      activated = em.op1('Mul', [up, em.op1('Sigmoid', [up])]); // SiLU
    }
    [normed, x] = addAndNorm(x, linear(activated, o.dMlp, o.dModel), layer < o.layers - 1);
  }
  // A Loop whose body only passes its state on, added to the logits times zero. The state comes
  // from the input's length, so no optimizer can compute the Loop in advance.
  const spin = (trips: number) => {
    const scalar = (name: string, elemType: DataType) => fromValueInfo({ name, elemType, shape: [] });
    const body = {
      name: 'spin',
      node: [makeNode('Identity', ['spin/cond'], ['spin/cond_out']), makeNode('Identity', ['spin/state'], ['spin/state_out'])],
      input: [scalar('spin/i', DataType.INT64), scalar('spin/cond', DataType.BOOL), scalar('spin/state', ft)],
      output: [scalar('spin/cond_out', DataType.BOOL), scalar('spin/state_out', ft)],
    };
    const state = em.op1('Loop', [em.scalar(trips, DataType.INT64), em.constant(DataType.BOOL, [], [1]), em.cast(seqLen, ft)], { body: { graph: body } });
    return em.op1('Mul', [state, em.scalar(0, ft)]);
  };
  let head = o.hiddenStateOnly
    ? normed
    : o.classes
      ? project(em.reduce('ReduceMean', normed, [1], 0), o.dModel, o.classes, 1)
      : project(normed, o.dModel, o.vocab, 1);
  if (o.loopTrips) head = em.op1('Add', [head, spin(o.loopTrips)]);
  const outputName = o.hiddenStateOnly ? 'last_hidden_state' : 'logits';
  const shape = o.classes ? ['batch', o.classes] : ['batch', 'sequence', o.hiddenStateOnly ? o.dModel : o.vocab];
  return encodeBuilt(em, `decoder-${o.attention}`, inputs, head, { name: outputName, elemType: ft, shape });
}

/** The emitted graph as a model file, `head` named as the graph's one output. */
export function encodeBuilt(em: Emitter, name: string, inputs: ValueInfo[], head: string, output: ValueInfo): Uint8Array {
  em.nodes.push({ opType: 'Identity', input: [head], output: [output.name], name: output.name, domain: '', attribute: [] });
  const model: ModelProto = {
    irVersion: 8,
    producerName: 'model-lens tests',
    producerVersion: '',
    opsetImport: [
      { domain: '', version: em.opset },
      { domain: 'com.microsoft', version: 1 },
    ],
    graph: { name, node: em.nodes, initializer: em.initializers, input: inputs, output: [output], valueInfo: [] },
  };
  return encodeModel(model);
}

/**
 * Moves the weights of a model into an external data file, as exporters do for large models:
 * each initializer's bytes go to `location` and the graph keeps only where they are.
 */
export function withExternalData(onnx: Uint8Array, location: string): { onnx: Uint8Array; data: Uint8Array } {
  const model = decodeModel(onnx);
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const t of model.graph.initializer) {
    if (!t.rawData || t.rawData.length < 64) continue;
    chunks.push(t.rawData);
    t.externalData = [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(t.rawData.length) },
    ];
    t.dataLocation = 1;
    offset += t.rawData.length;
    t.rawData = new Uint8Array(0);
  }
  const data = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.length;
  }
  return { onnx: encodeModel(model), data };
}
