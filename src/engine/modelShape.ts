// Facts about a model read from its graph, with config files only filling in what the graph
// cannot say: size of the token embedding, context length, parameter count and precision.
import type { GraphIndex } from './onnx/graph';
import { DataType, type NodeProto } from './onnx/model';

const TOKEN_INPUT = /input_ids|^ids$|^tokens$/i;

/** Tensors computed from the token ids input, stepping through casts and reshapes. */
function idConsumers(index: GraphIndex): NodeProto[] {
  const found: NodeProto[] = [];
  const queue = [...index.inputs.keys()].filter((n) => TOKEN_INPUT.test(n));
  const seen = new Set<string>();
  while (queue.length) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    for (const { node } of index.consumers(name)) {
      if (['Cast', 'Reshape', 'Unsqueeze', 'Squeeze', 'Identity'].includes(node.opType)) queue.push(node.output[0]);
      else found.push(node);
    }
  }
  return found;
}

/** Rows of the token embedding table, so ids beyond it are caught before the runtime fails. */
export function embeddingRows(index: GraphIndex): number | undefined {
  for (const node of idConsumers(index)) {
    const table = node.opType === 'EmbedLayerNormalization' ? node.input[2] : node.opType.startsWith('Gather') ? node.input[0] : undefined;
    const rows = table ? index.staticShape(table)?.[0] : undefined;
    if (typeof rows === 'number') return rows;
  }
  return undefined;
}

/** Positions the model can take: its position embedding or rotary cache, else its config. */
export function contextLength(index: GraphIndex, config: Record<string, unknown>, tokenizerConfig: Record<string, unknown>): number {
  for (const node of index.nodes) {
    let table: string | undefined;
    if (node.opType === 'EmbedLayerNormalization') table = node.input[3];
    else if (node.opType === 'GroupQueryAttention') table = node.input[7];
    else if (node.opType === 'RotaryEmbedding') table = node.input[2];
    const rows = table ? index.staticShape(table)?.[0] : undefined;
    if (typeof rows === 'number' && rows > 1) return rows;
  }
  // An unfused learned position embedding: a Gather indexed by positions, not by token ids.
  const tokenTables = new Set(idConsumers(index).map((n) => n.input[0]));
  const positionInput = [...index.inputs.keys()].find((n) => /position_ids/i.test(n));
  for (const node of index.nodes) {
    if (node.opType !== 'Gather' || tokenTables.has(node.input[0]) || !index.initializers.has(node.input[0])) continue;
    const shape = index.staticShape(node.input[0]);
    // Without a position_ids input the positions are computed in the graph; a table looked up by
    // another graph input (BERT's token_type_ids) is not the position table.
    const indexedByPositions = positionInput
      ? index.dependsOn(node.input[1], positionInput)
      : !index.inputs.has(node.input[1]) && index.producer(node.input[1])?.node.opType !== 'Constant';
    if (shape?.length === 2 && typeof shape[0] === 'number' && indexedByPositions) return shape[0];
  }
  for (const key of ['max_position_embeddings', 'n_positions', 'n_ctx', 'seq_length', 'context_length']) {
    const value = config[key];
    if (typeof value === 'number' && value > 0) return value;
  }
  const fromTokenizer = tokenizerConfig.model_max_length;
  if (typeof fromTokenizer === 'number' && fromTokenizer > 0 && fromTokenizer < 1e6) return fromTokenizer;
  return 2048;
}

export function parameterCount(index: GraphIndex): number {
  let total = 0;
  for (const t of index.initializers.values()) total += t.dims.reduce((a, b) => a * Number(b), 1);
  return total;
}

const PRECISION_NAMES: Partial<Record<DataType, string>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.FLOAT16]: 'float16',
  [DataType.BFLOAT16]: 'bfloat16',
  [DataType.DOUBLE]: 'float64',
  [DataType.INT8]: 'int8 quantized',
  [DataType.UINT8]: '8-bit or 4-bit quantized',
};

/** The element type most of the weights are stored in. */
export function precision(index: GraphIndex): string {
  const counts = new Map<DataType, number>();
  for (const t of index.initializers.values()) {
    counts.set(t.dataType, (counts.get(t.dataType) ?? 0) + t.dims.reduce((a, b) => a * Number(b), 1));
  }
  const [dominant] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] ?? [DataType.FLOAT];
  if (index.nodes.some((n) => n.opType === 'MatMulNBits')) return '4-bit quantized (MatMulNBits)';
  if (index.nodes.some((n) => n.opType === 'MatMulInteger')) return '8-bit quantized, activations rounded per run (MatMulInteger)';
  return PRECISION_NAMES[dominant] ?? `type ${dominant}`;
}

/**
 * Operators whose result for one sequence depends on the other sequences of a batch: dynamic
 * quantization rounds with one scale for the whole tensor, taken from every row's values.
 */
const BATCH_COUPLED = new Set(['DynamicQuantizeLinear', 'DynamicQuantizeMatMul']);

/**
 * Whether several runs of one text may share a forward pass as rows of a batch and get what
 * each would get alone: the token ids' batch axis is not fixed, and no operator mixes the rows.
 * (A graph may still fix the batch inside, in a Reshape: the first batched run finds that out.)
 */
export function acceptsBatch(index: GraphIndex): boolean {
  const ids = [...index.inputs.values()].find((i) => TOKEN_INPUT.test(i.name));
  if (!ids || typeof ids.shape?.[0] === 'number') return false;
  return !index.nodes.some((n) => BATCH_COUPLED.has(n.opType));
}
