// Builds the nodes the engine appends to a graph. Each helper emits the form of an operator that
// the model's own opset accepts (axes moved from attributes to inputs in opset 13 and 18), so an
// instrumented opset-11 export and an opset-17 export both load.
import { AttributeType, DataType, fromValueInfo, type Attribute, type NodeProto, type TensorProto, type ValueInfo } from './model';

export type AttrValue = number | number[] | string | TensorProto | { float: number } | { floats: number[] } | { graph: object };

function toAttribute(name: string, value: AttrValue): Attribute {
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') return { name, type: AttributeType.INT, i: value };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  if ('floats' in value) return { name, type: AttributeType.FLOATS, floats: value.floats };
  if ('graph' in value) return { name, type: AttributeType.GRAPH, g: value.graph };
  return { name, type: AttributeType.TENSOR, t: value };
}

export function makeNode(opType: string, input: string[], output: string[], attrs: Record<string, AttrValue> = {}, domain = '', name = ''): NodeProto {
  return {
    opType,
    input,
    output,
    name: name || output[0],
    domain,
    attribute: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)),
  };
}

/** A tensor with its values stored as raw little-endian bytes. */
export function makeTensor(name: string, dataType: DataType, dims: number[], values: ArrayLike<number> | ArrayLike<bigint>): TensorProto {
  let raw: Uint8Array;
  switch (dataType) {
    case DataType.FLOAT:
      raw = new Uint8Array(Float32Array.from(values as ArrayLike<number>).buffer);
      break;
    case DataType.FLOAT16:
      raw = new Uint8Array(Uint16Array.from(values as ArrayLike<number>, floatToHalf).buffer);
      break;
    case DataType.INT32:
      raw = new Uint8Array(Int32Array.from(values as ArrayLike<number>).buffer);
      break;
    case DataType.INT64:
      raw = new Uint8Array(BigInt64Array.from(values as ArrayLike<number>, (v) => BigInt(v)).buffer);
      break;
    case DataType.BOOL:
    case DataType.UINT8:
      raw = Uint8Array.from(values as ArrayLike<number>);
      break;
    case DataType.INT8:
      raw = new Uint8Array(Int8Array.from(values as ArrayLike<number>).buffer);
      break;
    default:
      throw new Error(`makeTensor: unsupported data type ${dataType}`);
  }
  return { name, dims, dataType, rawData: raw };
}

export function floatToHalf(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent >= 0x1f) return sign | 0x7c00 | (((bits >>> 23) & 0xff) === 0xff && mantissa ? 0x200 : 0);
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    const m = (mantissa | 0x800000) >> (1 - exponent);
    return sign | ((m + 0x1000) >> 13);
  }
  return sign | (exponent << 10) | ((mantissa + 0x1000) >> 13);
}

/**
 * Appends nodes and small constants under a name prefix that cannot collide with the model's
 * own tensor names.
 */
export class Emitter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private counter = 0;

  constructor(
    readonly opset: number,
    private readonly prefix = 'modellens/',
  ) {}

  /** A point to return to when a half-built subgraph turns out to be impossible. */
  mark(): { nodes: number; initializers: number } {
    return { nodes: this.nodes.length, initializers: this.initializers.length };
  }

  rollback(mark: { nodes: number; initializers: number }): void {
    this.nodes.length = mark.nodes;
    this.initializers.length = mark.initializers;
  }

  fresh(hint: string): string {
    return `${this.prefix}${hint}_${this.counter++}`;
  }

  /**
   * A subgraph (a branch of If): the nodes `build` emits, ending in the outputs it returns. Names
   * come from this emitter, so they stay unique in the model; constants stay in the outer graph,
   * which a branch reads.
   */
  graph(build: () => ValueInfo[]): { graph: object } {
    const start = this.nodes.length;
    const outputs = build();
    return { graph: { name: this.fresh('branch'), node: this.nodes.splice(start), output: outputs.map(fromValueInfo) } };
  }

  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs = 1, domain = ''): string[] {
    const names = Array.from({ length: outputs }, () => this.fresh(opType));
    this.nodes.push(makeNode(opType, inputs, names, attrs, domain));
    return names;
  }

  op1(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, domain = ''): string {
    return this.op(opType, inputs, attrs, 1, domain)[0];
  }

  constant(dataType: DataType, dims: number[], values: ArrayLike<number>, hint = 'const'): string {
    const name = this.fresh(hint);
    this.initializers.push(makeTensor(name, dataType, dims, values));
    return name;
  }

  scalar(value: number, dataType: DataType = DataType.FLOAT): string {
    return this.constant(dataType, [], [value], 'scalar');
  }

  ints(values: number[]): string {
    return this.constant(DataType.INT64, [values.length], values, 'ints');
  }

  cast(x: string, to: DataType): string {
    return this.op1('Cast', [x], { to });
  }

  unsqueeze(x: string, axes: number[]): string {
    return this.opset >= 13 ? this.op1('Unsqueeze', [x, this.ints(axes)]) : this.op1('Unsqueeze', [x], { axes });
  }

  squeeze(x: string, axes: number[]): string {
    return this.opset >= 13 ? this.op1('Squeeze', [x, this.ints(axes)]) : this.op1('Squeeze', [x], { axes });
  }

  reduce(op: 'ReduceSum' | 'ReduceMax' | 'ReduceMean', x: string, axes: number[], keepdims = 1): string {
    const axesAsInput = op === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    return axesAsInput ? this.op1(op, [x, this.ints(axes)], { keepdims }) : this.op1(op, [x], { axes, keepdims });
  }

  /** Splits `x` along `axis` into pieces of the given sizes. */
  split(x: string, axis: number, sizes: number[]): string[] {
    if (this.opset >= 13) return this.op('Split', [x, this.ints(sizes)], { axis }, sizes.length);
    return this.op('Split', [x], { axis, split: sizes }, sizes.length);
  }

  /** x[..., starts:ends] along the given axes (opset 10+ form). */
  slice(x: string, starts: number[], ends: number[], axes: number[]): string {
    return this.op1('Slice', [x, this.ints(starts), this.ints(ends), this.ints(axes)]);
  }

  /** The size of dimension `axis` of `x`, as an int64 tensor of shape [1]. */
  dim(x: string, axis: number): string {
    const shape = this.op1('Shape', [x]);
    return this.op1('Gather', [shape, this.ints([axis])], { axis: 0 });
  }

  reshape(x: string, shape: string): string {
    return this.op1('Reshape', [x, shape]);
  }

  /** Concatenates int64 pieces (each [1] or [n]) into a shape tensor. */
  shapeOf(parts: (string | number)[]): string {
    return this.op1(
      'Concat',
      parts.map((p) => (typeof p === 'number' ? this.ints([p]) : p)),
      { axis: 0 },
    );
  }
}
