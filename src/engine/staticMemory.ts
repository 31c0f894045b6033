// The largest tensor a graph makes whatever the text: a size the graph fixes by itself, from
// constants and initializers. maxModelSizeMB bounds the files, but a 1 MB model can hold a
// ConstantOfShape of 2³¹ elements and have ONNX Runtime allocate gigabytes on the first run
// (native ONNX Runtime has no cap at all; WebAssembly stops at its 4 GB heap, taking the worker's
// memory with it). Its JavaScript API offers no limit on what a session allocates, so such a model
// is refused before a session is created.
//
// This is not ONNX shape inference: it follows what a hostile graph most cheaply uses. Sources are
// the operators that make a tensor of a size given as data (ConstantOfShape, Expand, Tile, Range,
// the Random* operators, EyeLike); sizes then flow through elementwise operators, Reshape,
// Unsqueeze, Transpose, MatMul and Gemm, and small integer vectors (shapes) are folded through the
// operators exporters build them with.
// A dimension that depends on the text is unknown and counts as 1, so each size is a lower bound:
// the check can miss a tensor but not overstate one. Subgraphs (If, Loop) and local functions are
// not followed.
import { ModelLensError } from './errors';
import { attr, intAttr, intsAttr, isOnnxDomain, tensorValues, type GraphIndex } from './onnx/graph';
import { DataType, type NodeProto, type TensorProto } from './onnx/model';

/**
 * What ONNX Runtime WebAssembly (and a WebGPU webview, which runs its WebAssembly) can address: its
 * heap holds every weight and tensor, so more cannot run there at any setting.
 */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;

/** Longest integer vector folded: shapes have a few entries; anything longer is not a shape. */
const MAX_FOLDED = 64;

const ELEMENT_BYTES: Partial<Record<DataType, number>> = {
  [DataType.FLOAT]: 4,
  [DataType.UINT8]: 1,
  [DataType.INT8]: 1,
  [DataType.UINT16]: 2,
  [DataType.INT16]: 2,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
  [DataType.BOOL]: 1,
  [DataType.FLOAT16]: 2,
  [DataType.DOUBLE]: 8,
  [DataType.UINT32]: 4,
  [DataType.UINT64]: 8,
  [DataType.BFLOAT16]: 2,
};

/** Operators whose output has the shape of their first input. */
const SAME_SHAPE = new Set([
  'Abs',
  'Acos',
  'Acosh',
  'Asin',
  'Asinh',
  'Atan',
  'Atanh',
  'BitwiseNot',
  'Cast',
  'CastLike',
  'Ceil',
  'Celu',
  'Cos',
  'Cosh',
  'Dropout',
  'Elu',
  'Erf',
  'Exp',
  'Floor',
  'Gelu',
  'HardSigmoid',
  'HardSwish',
  'Identity',
  'IsInf',
  'IsNaN',
  'LeakyRelu',
  'Log',
  'LogSoftmax',
  'Mish',
  'Neg',
  'Not',
  'Reciprocal',
  'Relu',
  'Round',
  'Selu',
  'Sigmoid',
  'Sign',
  'Sin',
  'Sinh',
  'Softmax',
  'Softplus',
  'Softsign',
  'Sqrt',
  'Tan',
  'Tanh',
  'ThresholdedRelu',
]);

/** Operators whose inputs broadcast together into their output. */
const BROADCAST = new Set([
  'Add',
  'And',
  'BitShift',
  'BitwiseAnd',
  'BitwiseOr',
  'BitwiseXor',
  'Div',
  'Equal',
  'Greater',
  'GreaterOrEqual',
  'Less',
  'LessOrEqual',
  'Max',
  'Mean',
  'Min',
  'Mod',
  'Mul',
  'Or',
  'Pow',
  'PRelu',
  'Sub',
  'Sum',
  'Where',
  'Xor',
]);

export interface StaticTensor {
  node: NodeProto;
  /** Lower bounds of its dimensions. */
  dims: number[];
  bytes: number;
}

function broadcast(shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => Math.max(...shapes.map((s) => s[s.length - rank + i] ?? 1)));
}

function elements(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** A tensor's values as dimensions: whole and not negative, or nothing. */
function asDims(values: number[] | undefined): number[] | undefined {
  return values?.every((v) => Number.isSafeInteger(v) && v >= 0) ? values : undefined;
}

function matMul(a: number[], b: number[]): number[] {
  const left = a.length === 1 ? [1, a[0]] : a;
  const right = b.length === 1 ? [b[0], 1] : b;
  const batch = broadcast([left.slice(0, -2), right.slice(0, -2)]);
  return [...batch, ...(a.length === 1 ? [] : [left[left.length - 2]]), ...(b.length === 1 ? [] : [right[right.length - 1]])];
}

/**
 * The element type of a node's output. The Random* operators and EyeLike name theirs in `dtype`
 * (float, or their input's, by default); an unknown type counts as one byte.
 */
function elementType(index: GraphIndex, node: NodeProto): DataType {
  const known = index.elemType(node.output[0]) ?? DataType.UINT8;
  if (node.opType === 'RandomNormal' || node.opType === 'RandomUniform') return intAttr(node, 'dtype', DataType.FLOAT);
  if (node.opType === 'RandomNormalLike' || node.opType === 'RandomUniformLike' || node.opType === 'EyeLike') return intAttr(node, 'dtype', known);
  return known;
}

/** A small tensor's values, when its bytes are in the file and as many as its shape says. */
function smallValues(t: TensorProto): number[] | undefined {
  const count = elements(t.dims.map(Number));
  if (!(count <= MAX_FOLDED) || t.dataLocation === 1) return undefined;
  if (t.rawData?.length && t.rawData.length !== count * (ELEMENT_BYTES[t.dataType] ?? NaN)) return undefined;
  const values = tensorValues(t);
  return values.length === count ? values : undefined;
}

/** Walks the graph once in order (ONNX graphs are topologically sorted) and returns the largest tensor it sizes. */
export function largestStaticTensor(index: GraphIndex): StaticTensor | undefined {
  const shapes = new Map<string, number[]>();
  const values = new Map<string, number[]>();
  for (const [name, t] of index.initializers) {
    shapes.set(name, t.dims.map(Number));
    const v = smallValues(t);
    if (v) values.set(name, v);
  }
  const shapeOf = (name: string | undefined): number[] | undefined => (name ? shapes.get(name) : undefined);
  const valuesOf = (name: string | undefined): number[] | undefined => (name ? values.get(name) : undefined);
  const scalar = (name: string | undefined): number | undefined => {
    const v = valuesOf(name);
    return v?.length === 1 ? v[0] : undefined;
  };

  /** Folds the small integer vectors shapes are built from. */
  const fold = (node: NodeProto): number[] | undefined => {
    const inputs = node.input.map(valuesOf);
    switch (node.opType) {
      case 'Constant': {
        const t = attr(node, 'value')?.t;
        return t ? smallValues(t) : index.constantValues(node.output[0]);
      }
      case 'Identity':
      case 'Unsqueeze':
      case 'Squeeze':
      case 'Reshape':
        return inputs[0];
      case 'Cast':
        return inputs[0]?.map(Math.trunc);
      case 'Concat':
        return inputs.every((v) => v) ? inputs.flatMap((v) => v!) : undefined;
      case 'Add':
      case 'Sub':
      case 'Mul': {
        const [a, b] = inputs;
        if (!a || !b || (a.length !== b.length && a.length !== 1 && b.length !== 1)) return undefined;
        const op = { Add: (x: number, y: number) => x + y, Sub: (x: number, y: number) => x - y, Mul: (x: number, y: number) => x * y }[node.opType];
        return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => op(a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i]));
      }
      default:
        return undefined;
    }
  };

  /** The output shape of a node, where the graph fixes it (lower bounds, unknown dimensions as 1). */
  const infer = (node: NodeProto): number[] | undefined => {
    const [a, b] = node.input;
    switch (node.opType) {
      case 'ConstantOfShape':
        return asDims(valuesOf(a));
      case 'Expand': {
        const to = asDims(valuesOf(b));
        return to && broadcast([shapeOf(a) ?? [], to]);
      }
      case 'Tile': {
        const repeats = asDims(valuesOf(b));
        const from = shapeOf(a);
        return repeats?.map((r, i) => r * (from?.[i] ?? 1));
      }
      case 'Range': {
        const [start, limit, delta] = node.input.map(scalar);
        if (start === undefined || limit === undefined || !delta) return undefined;
        return [Math.max(0, Math.ceil((limit - start) / delta))];
      }
      case 'RandomNormal':
      case 'RandomUniform':
        return asDims(intsAttr(node, 'shape'));
      case 'RandomNormalLike':
      case 'RandomUniformLike':
      case 'EyeLike':
        return shapeOf(a);
      case 'Reshape': {
        const to = valuesOf(b);
        const from = shapeOf(a);
        if (!to) return undefined;
        const dims = to.map((d, i) => (d === 0 ? (from?.[i] ?? 1) : d));
        const rest = elements(dims.filter((d) => d !== -1));
        return asDims(dims.map((d) => (d === -1 ? (from && rest ? Math.floor(elements(from) / rest) : 1) : d)));
      }
      case 'Unsqueeze': {
        const from = shapeOf(a);
        const axes = intsAttr(node, 'axes') ?? valuesOf(b);
        if (!from || !axes) return undefined;
        const rank = from.length + axes.length;
        const ones = new Set(axes.map((x) => (x < 0 ? x + rank : x)));
        const rest = [...from];
        return Array.from({ length: rank }, (_, i) => (ones.has(i) ? 1 : (rest.shift() ?? 1)));
      }
      case 'Transpose': {
        const from = shapeOf(a);
        const perm = intsAttr(node, 'perm') ?? from?.map((_, i) => from.length - 1 - i);
        return from && perm?.map((p) => from[p] ?? 1);
      }
      case 'MatMul': {
        const [x, y] = [shapeOf(a), shapeOf(b)];
        return x && y && x.length && y.length ? matMul(x, y) : undefined;
      }
      case 'Gemm': {
        const [x, y] = [shapeOf(a), shapeOf(b)];
        if (x?.length !== 2 || y?.length !== 2) return undefined;
        return [intAttr(node, 'transA', 0) ? x[1] : x[0], intAttr(node, 'transB', 0) ? y[0] : y[1]];
      }
      default: {
        if (SAME_SHAPE.has(node.opType)) return shapeOf(a);
        if (!BROADCAST.has(node.opType)) return undefined;
        const known = node.input.map(shapeOf).filter((s): s is number[] => !!s);
        return known.length ? broadcast(known) : undefined;
      }
    }
  };

  let largest: StaticTensor | undefined;
  for (const node of index.nodes) {
    if (!isOnnxDomain(node.domain)) continue;
    const output = node.output[0];
    if (!output) continue;
    const folded = fold(node);
    if (folded && folded.length <= MAX_FOLDED) {
      values.set(output, folded);
      shapes.set(output, [folded.length]);
    }
    if (node.opType === 'Constant') {
      // Its bytes are in the file, which maxModelSizeMB already bounds; its shape may size others.
      const dims = attr(node, 'value')?.t?.dims;
      if (dims) shapes.set(output, dims.map(Number));
      continue;
    }
    const dims = infer(node);
    if (!dims) continue;
    shapes.set(output, dims);
    const bytes = elements(dims) * (ELEMENT_BYTES[elementType(index, node)] ?? 1);
    if (!largest || bytes > largest.bytes) largest = { node, dims, bytes };
  }
  return largest;
}

/**
 * Refuses a model whose graph makes, whatever the text, a tensor that with the model's own files
 * exceeds `limit` (modelLens.maxModelSizeMB; without one, what WebAssembly can address).
 */
export function checkStaticMemory(index: GraphIndex, file: string, modelBytes: number, limit: number): void {
  const largest = largestStaticTensor(index);
  if (!largest || modelBytes + largest.bytes <= limit) return;
  const mb = (n: number) => (Number.isFinite(n) ? `${Math.ceil(n / 1048576)} MB` : 'more memory than exists');
  const { node, dims } = largest;
  throw new ModelLensError({
    code: 'too-large',
    message: `Node ${node.name || node.output[0]} (${node.opType}) makes a ${dims.length <= 8 ? `[${dims.join(', ')}]` : `${dims.length}-dimensional`} tensor of ${mb(largest.bytes)} whatever the text; with the model's ${mb(modelBytes)} that is more than the ${mb(limit)} allowed by modelLens.maxModelSizeMB. Model Lens did not run it.`,
    file,
    hint: 'A language model has no tensor of a fixed size this large; it may have been made to exhaust memory. If you trust it and this machine has the memory, raise modelLens.maxModelSizeMB.',
  });
}
