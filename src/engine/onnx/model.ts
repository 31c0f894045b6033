// Plain objects for the parts of an ONNX model the engine works with, and the two ways bytes
// cross the protobuf boundary: decoding a whole model, and encoding a suffix that, appended to
// the original bytes, adds nodes, inputs, outputs and initializers to its graph. Protobuf merges
// a repeated field across concatenated messages, so the weights are never decoded and
// re-encoded — and a schema older than the file cannot silently drop what it does not know.
import { ModelProtoType } from './schema';

export enum DataType {
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  UINT16 = 4,
  INT16 = 5,
  INT32 = 6,
  INT64 = 7,
  STRING = 8,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11,
  UINT32 = 12,
  UINT64 = 13,
  BFLOAT16 = 16,
}

export const FLOAT_TYPES: ReadonlySet<DataType> = new Set([DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE, DataType.BFLOAT16]);

export enum AttributeType {
  FLOAT = 1,
  INT = 2,
  STRING = 3,
  TENSOR = 4,
  GRAPH = 5,
  FLOATS = 6,
  INTS = 7,
  STRINGS = 8,
}

export interface Attribute {
  name: string;
  type: AttributeType;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  /** A graph (If's branches), in protobuf's object form: the engine only writes and copies these. */
  g?: object;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
}

export interface NodeProto {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain: string;
  attribute: Attribute[];
}

export interface TensorProto {
  name: string;
  dims: number[];
  dataType: DataType;
  rawData?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: number[];
  doubleData?: number[];
  externalData?: { key: string; value: string }[];
  dataLocation?: number;
}

/** A dimension: a number, a symbolic name, or unknown. */
export type Dim = number | string | null;

export interface ValueInfo {
  name: string;
  elemType?: DataType;
  shape?: Dim[];
}

export interface GraphProto {
  node: NodeProto[];
  name: string;
  initializer: TensorProto[];
  input: ValueInfo[];
  output: ValueInfo[];
  valueInfo: ValueInfo[];
  sparseInitializer?: { values?: TensorProto; indices?: TensorProto }[];
}

export interface ModelProto {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  opsetImport: { domain: string; version: number }[];
  graph: GraphProto;
  /** Local functions: only their nodes are read, for the tensors they hold. */
  functions?: { node: NodeProto[] }[];
}

/** What is appended to a model's graph: new nodes, inputs, outputs and (small) initializers. */
export interface GraphSuffix {
  node: NodeProto[];
  input: ValueInfo[];
  output: ValueInfo[];
  initializer: TensorProto[];
}

const ATTRIBUTE_FIELD: Record<AttributeType, keyof Attribute> = {
  [AttributeType.FLOAT]: 'f',
  [AttributeType.INT]: 'i',
  [AttributeType.STRING]: 's',
  [AttributeType.TENSOR]: 't',
  [AttributeType.GRAPH]: 'g' as keyof Attribute,
  [AttributeType.FLOATS]: 'floats',
  [AttributeType.INTS]: 'ints',
  [AttributeType.STRINGS]: 'strings',
};

/**
 * A decoded attribute carries every field at its default; ONNX Runtime rejects an attribute
 * whose other fields are set, so a copy keeps only the field its type names.
 */
export function copyAttribute(a: Attribute): Attribute {
  const field = ATTRIBUTE_FIELD[a.type];
  return { name: a.name, type: a.type, [field]: a[field] } as Attribute;
}

const CONVERSION = { longs: Number, enums: Number, defaults: true, arrays: true, oneofs: true } as const;

interface RawValueInfo {
  name: string;
  type?: { tensorType?: { elemType: number; shape?: { dim: { value?: 'dimValue' | 'dimParam'; dimValue: number; dimParam: string }[] } } };
}

function toValueInfo(raw: RawValueInfo): ValueInfo {
  const tensor = raw.type?.tensorType;
  return {
    name: raw.name,
    elemType: tensor?.elemType || undefined,
    shape: tensor?.shape?.dim.map((d) => (d.value === 'dimValue' ? d.dimValue : d.value === 'dimParam' ? d.dimParam : null)),
  };
}

/** Decodes ONNX bytes. Throws protobufjs' own error on bytes that are not a ModelProto. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const raw = ModelProtoType.toObject(ModelProtoType.decode(bytes), CONVERSION) as {
    irVersion: number;
    producerName: string;
    producerVersion: string;
    opsetImport: { domain: string; version: number }[];
    graph?: Omit<GraphProto, 'input' | 'output' | 'valueInfo'> & { input: RawValueInfo[]; output: RawValueInfo[]; valueInfo: RawValueInfo[] };
    functions: { node: NodeProto[] }[];
  };
  const graph = raw.graph ?? { node: [], name: '', initializer: [], input: [], output: [], valueInfo: [] };
  return {
    irVersion: raw.irVersion,
    producerName: raw.producerName,
    producerVersion: raw.producerVersion,
    opsetImport: raw.opsetImport,
    graph: {
      node: graph.node,
      name: graph.name,
      initializer: graph.initializer,
      input: graph.input.map(toValueInfo),
      output: graph.output.map(toValueInfo),
      valueInfo: graph.valueInfo.map(toValueInfo),
      sparseInitializer: graph.sparseInitializer,
    },
    functions: raw.functions,
  };
}

/** A graph in protobuf's object form (a subgraph attribute): the fields that hold tensors. */
interface RawGraph {
  node?: NodeProto[];
  initializer?: TensorProto[];
  sparseInitializer?: { values?: TensorProto; indices?: TensorProto }[];
}

/** Every tensor a model holds: initializers, sparse ones, and node attributes, in subgraphs and local functions too. */
export function* allTensors(model: ModelProto): Generator<TensorProto> {
  function* ofNodes(nodes: NodeProto[] = []): Generator<TensorProto> {
    for (const node of nodes) {
      for (const a of node.attribute) {
        const raw = a as Attribute & { tensors?: TensorProto[]; graphs?: RawGraph[] };
        if (raw.t) yield raw.t;
        yield* raw.tensors ?? [];
        for (const g of [raw.g as RawGraph | undefined, ...(raw.graphs ?? [])]) if (g) yield* ofGraph(g);
      }
    }
  }
  function* ofGraph(graph: RawGraph): Generator<TensorProto> {
    yield* graph.initializer ?? [];
    for (const s of graph.sparseInitializer ?? []) yield* [s.values, s.indices].filter((t): t is TensorProto => !!t);
    yield* ofNodes(graph.node);
  }
  yield* ofGraph(model.graph);
  for (const f of model.functions ?? []) yield* ofNodes(f.node);
}

/** A ValueInfo in protobuf's object form, ready to encode. */
export function fromValueInfo(v: ValueInfo): object {
  if (v.elemType === undefined) return { name: v.name };
  const tensorType: Record<string, unknown> = { elemType: v.elemType };
  if (v.shape) {
    tensorType.shape = { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})) };
  }
  return { name: v.name, type: { tensorType } };
}

function encodeModelObject(model: object): Uint8Array {
  return ModelProtoType.encode(ModelProtoType.fromObject(model)).finish();
}

/** Encodes a graph suffix as a ModelProto fragment to append to a model's bytes. */
export function encodeSuffix(suffix: GraphSuffix): Uint8Array {
  return encodeModelObject({
    graph: {
      node: suffix.node,
      initializer: suffix.initializer,
      input: suffix.input.map(fromValueInfo),
      output: suffix.output.map(fromValueInfo),
    },
  });
}

/** Encodes a whole model (the engine's tests and benchmarks build small models with it). */
export function encodeModel(model: ModelProto): Uint8Array {
  return encodeModelObject({
    ...model,
    graph: {
      ...model.graph,
      node: model.graph.node.map((n) => ({ ...n, attribute: n.attribute.map(copyAttribute) })),
      input: model.graph.input.map(fromValueInfo),
      output: model.graph.output.map(fromValueInfo),
      valueInfo: model.graph.valueInfo.map(fromValueInfo),
    },
  });
}

/** Room left after a model's bytes for the suffix, so appending does not copy the model. */
export const SUFFIX_HEADROOM = 1 << 20;

/**
 * A model's bytes in a buffer with room after them: `bytes` is the file, and `append` returns the
 * file followed by a suffix — in place when it fits, so a large model is not held twice.
 */
export function withHeadroom(read: (into: Uint8Array) => void, size: number): { bytes: Uint8Array; append(suffix: Uint8Array): Uint8Array } {
  const buffer = new Uint8Array(size + SUFFIX_HEADROOM);
  read(buffer.subarray(0, size));
  const bytes = buffer.subarray(0, size);
  return {
    bytes,
    append(suffix) {
      if (suffix.length <= SUFFIX_HEADROOM) {
        buffer.set(suffix, size);
        return buffer.subarray(0, size + suffix.length);
      }
      const out = new Uint8Array(size + suffix.length);
      out.set(bytes, 0);
      out.set(suffix, size);
      return out;
    },
  };
}
