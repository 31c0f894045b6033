// An index over a decoded graph: who makes and who uses each tensor, the initializers and their
// values, element types, and ancestry. Everything the instrumentation asks of a graph goes
// through here so the pattern finders read as questions, not as loops over nodes.
import { AttributeType, DataType, type Attribute, type Dim, type ModelProto, type NodeProto, type TensorProto, type ValueInfo } from './model';

export interface Producer {
  node: NodeProto;
  /** Position of the node in the graph's node list. */
  index: number;
  /** Which of the node's outputs. */
  slot: number;
}

export interface Use {
  node: NodeProto;
  index: number;
  slot: number;
}

/** The ONNX (default) domain is spelled '' or 'ai.onnx'. */
export function isOnnxDomain(domain: string): boolean {
  return domain === '' || domain === 'ai.onnx';
}

export function attr(node: NodeProto, name: string): Attribute | undefined {
  return node.attribute.find((a) => a.name === name);
}

export function intAttr(node: NodeProto, name: string, fallback: number): number {
  const a = attr(node, name);
  return a && a.type === AttributeType.INT ? Number(a.i) : fallback;
}

export function floatAttr(node: NodeProto, name: string, fallback: number): number {
  const a = attr(node, name);
  return a && a.type === AttributeType.FLOAT ? Number(a.f) : fallback;
}

export function intsAttr(node: NodeProto, name: string): number[] | undefined {
  const a = attr(node, name);
  return a && a.type === AttributeType.INTS ? a.ints?.map(Number) : undefined;
}

/** Reads a (small) tensor's values as numbers, from whichever field the exporter used. */
export function tensorValues(t: TensorProto): number[] {
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out: number[] = [];
    switch (t.dataType) {
      case DataType.FLOAT:
        for (let i = 0; i < raw.length; i += 4) out.push(view.getFloat32(i, true));
        return out;
      case DataType.DOUBLE:
        for (let i = 0; i < raw.length; i += 8) out.push(view.getFloat64(i, true));
        return out;
      case DataType.FLOAT16:
        for (let i = 0; i < raw.length; i += 2) out.push(halfToFloat(view.getUint16(i, true)));
        return out;
      case DataType.INT32:
        for (let i = 0; i < raw.length; i += 4) out.push(view.getInt32(i, true));
        return out;
      case DataType.INT64:
        for (let i = 0; i < raw.length; i += 8) out.push(Number(view.getBigInt64(i, true)));
        return out;
      case DataType.INT8:
      case DataType.UINT8:
      case DataType.BOOL:
        for (let i = 0; i < raw.length; i++) out.push(t.dataType === DataType.INT8 ? view.getInt8(i) : view.getUint8(i));
        return out;
      default:
        return [];
    }
  }
  if (t.dataType === DataType.FLOAT16 || t.dataType === DataType.BFLOAT16) {
    // Half floats without raw_data are stored as their bit patterns in int32_data.
    const bits = t.int32Data ?? [];
    return t.dataType === DataType.FLOAT16 ? bits.map(halfToFloat) : bits.map((b) => new Float32Array(new Uint32Array([b << 16]).buffer)[0]);
  }
  const typed = [t.floatData, t.int32Data, t.int64Data, t.doubleData].find((a) => a && a.length > 0);
  return typed ? typed.map(Number) : [];
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

export class GraphIndex {
  readonly nodes: NodeProto[];
  readonly initializers = new Map<string, TensorProto>();
  /** Graph inputs that are fed at run time (not initializers). */
  readonly inputs = new Map<string, ValueInfo>();
  readonly outputs: ValueInfo[];
  /** Default-domain opset version of the model. */
  readonly opset: number;
  private readonly producers = new Map<string, Producer>();
  private readonly uses = new Map<string, Use[]>();
  private readonly declared = new Map<string, ValueInfo>();
  private readonly typeCache = new Map<string, DataType | undefined>();

  constructor(readonly model: ModelProto) {
    const graph = model.graph;
    this.nodes = graph.node;
    this.outputs = graph.output;
    this.opset = model.opsetImport.find((o) => isOnnxDomain(o.domain))?.version ?? 0;
    for (const t of graph.initializer) this.initializers.set(t.name, t);
    for (const v of graph.input) if (!this.initializers.has(v.name)) this.inputs.set(v.name, v);
    for (const v of [...graph.input, ...graph.output, ...graph.valueInfo]) this.declared.set(v.name, v);
    graph.node.forEach((node, index) => {
      node.output.forEach((name, slot) => name && this.producers.set(name, { node, index, slot }));
      node.input.forEach((name, slot) => {
        if (!name) return;
        const list = this.uses.get(name) ?? [];
        list.push({ node, index, slot });
        this.uses.set(name, list);
      });
    });
  }

  producer(name: string): Producer | undefined {
    return this.producers.get(name);
  }

  consumers(name: string): Use[] {
    return this.uses.get(name) ?? [];
  }

  /** Whether a tensor exists in the graph at all (an input, an initializer or a node output). */
  isDefined(name: string): boolean {
    return this.inputs.has(name) || this.initializers.has(name) || this.producers.has(name);
  }

  /** The first tensor a node reads that nothing defines: the sign of a damaged or truncated file. */
  firstUndefinedInput(): { node: NodeProto; name: string } | undefined {
    for (const node of this.nodes) {
      for (const name of node.input) if (name && !this.isDefined(name)) return { node, name };
    }
    return undefined;
  }

  /** Values of a constant tensor (an initializer or a Constant node), if it is one. */
  constantValues(name: string): number[] | undefined {
    const init = this.initializers.get(name);
    if (init) return init.dataLocation === 1 ? undefined : tensorValues(init);
    const p = this.producers.get(name);
    if (p && p.node.opType === 'Constant' && isOnnxDomain(p.node.domain)) {
      const value = attr(p.node, 'value');
      if (value?.t) return tensorValues(value.t);
      const f = attr(p.node, 'value_float');
      if (f) return [Number(f.f)];
      const i = attr(p.node, 'value_int');
      if (i) return [Number(i.i)];
      const ints = attr(p.node, 'value_ints');
      if (ints) return (ints.ints ?? []).map(Number);
    }
    return undefined;
  }

  isConstant(name: string): boolean {
    if (this.initializers.has(name)) return true;
    const p = this.producers.get(name);
    return !!p && p.node.opType === 'Constant';
  }

  /** The dimensions of an initializer or of a declared value. */
  staticShape(name: string): Dim[] | undefined {
    const init = this.initializers.get(name);
    if (init) return init.dims.map(Number);
    return this.declared.get(name)?.shape;
  }

  /** Element type of a tensor: declared, or inferred from how its producer works. */
  elemType(name: string): DataType | undefined {
    if (this.typeCache.has(name)) return this.typeCache.get(name);
    this.typeCache.set(name, undefined); // guards against cycles in a damaged graph
    const type = this.inferType(name);
    this.typeCache.set(name, type);
    return type;
  }

  private inferType(name: string): DataType | undefined {
    const init = this.initializers.get(name);
    if (init) return init.dataType;
    const declared = this.declared.get(name)?.elemType;
    if (declared) return declared;
    const p = this.producers.get(name);
    if (!p) return undefined;
    const { node } = p;
    switch (node.opType) {
      case 'Cast':
        return intAttr(node, 'to', 0) || undefined;
      case 'Shape':
      case 'Size':
      case 'NonZero':
      case 'ArgMax':
      case 'ArgMin':
        return DataType.INT64;
      case 'Equal':
      case 'Less':
      case 'LessOrEqual':
      case 'Greater':
      case 'GreaterOrEqual':
      case 'Not':
      case 'And':
      case 'Or':
      case 'IsNaN':
      case 'IsInf':
        return DataType.BOOL;
      case 'Constant': {
        const value = attr(node, 'value');
        return value?.t?.dataType ?? (attr(node, 'value_float') ? DataType.FLOAT : DataType.INT64);
      }
      case 'ConstantOfShape':
        return attr(node, 'value')?.t?.dataType ?? DataType.FLOAT;
      case 'TopK':
        return p.slot === 1 ? DataType.INT64 : this.elemType(node.input[0]);
      case 'Where':
        return this.elemType(node.input[1]) ?? this.elemType(node.input[2]);
      case 'Range':
        return this.elemType(node.input[0]);
      case 'Gather':
      case 'GatherElements':
      case 'GatherND':
        return this.elemType(node.input[0]);
      case 'EmbedLayerNormalization':
        return p.slot === 1 ? DataType.INT32 : this.elemType(node.input[2]);
      // Quantization: the integer types are the operators' own, the float ones their scales'.
      case 'DynamicQuantizeLinear':
        return p.slot === 1 ? DataType.FLOAT : DataType.UINT8;
      case 'MatMulInteger':
      case 'ConvInteger':
        return DataType.INT32;
      case 'QuantizeLinear': {
        const to = intAttr(node, 'output_dtype', 0);
        return to || (node.input[2] ? this.elemType(node.input[2]) : DataType.UINT8);
      }
      case 'DequantizeLinear':
        return this.elemType(node.input[1]);
      case 'MatMulNBits':
      case 'GatherBlockQuantized':
        return this.elemType(node.input[2]);
      case 'MatMulIntegerToFloat':
      case 'DynamicQuantizeMatMul':
        return this.elemType(node.input[2]);
      default:
        for (const input of node.input) {
          if (!input) continue;
          const t = this.elemType(input);
          if (t !== undefined) return t;
        }
        return undefined;
    }
  }

  /** Whether tensor `ancestor` is used, directly or not, to compute tensor `name`. */
  dependsOn(name: string, ancestor: string): boolean {
    if (name === ancestor) return true;
    const target = this.producers.get(ancestor);
    // In a topologically sorted graph nothing made before the ancestor's producer can depend on it.
    const floor = target ? target.index : -1;
    const seen = new Set<string>();
    const stack = [name];
    while (stack.length) {
      const current = stack.pop()!;
      if (current === ancestor) return true;
      if (seen.has(current)) continue;
      seen.add(current);
      const p = this.producers.get(current);
      if (!p || p.index < floor) continue;
      for (const input of p.node.input) if (input) stack.push(input);
    }
    return false;
  }

  /** Nodes that lie on a path from tensor `from` to tensor `to`, in graph order. */
  nodesBetween(from: string, to: string): NodeProto[] {
    const ancestorsOfTo = new Set<number>();
    const stack = [to];
    const seen = new Set<string>();
    while (stack.length) {
      const current = stack.pop()!;
      if (seen.has(current) || current === from) continue;
      seen.add(current);
      const p = this.producers.get(current);
      if (!p) continue;
      ancestorsOfTo.add(p.index);
      for (const input of p.node.input) if (input) stack.push(input);
    }
    return [...ancestorsOfTo]
      .sort((a, b) => a - b)
      .map((i) => this.nodes[i])
      .filter((node) => node.input.some((input) => input && this.dependsOn(input, from)));
  }
}
