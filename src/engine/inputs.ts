// Builds the feeds of one forward pass from the graph's own input declarations: ids of the
// declared integer type, an all-ones attention mask, positions when declared, and empty KV caches
// of the declared type and rank. An input the engine cannot fill is reported by name.
import { ModelLensError } from './errors';
import { DataType, type Dim, type ValueInfo } from './onnx/model';
import type { PlainTensor, TensorType, Tensors } from './runner';

const TENSOR_TYPES: Partial<Record<DataType, TensorType>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.FLOAT16]: 'float16',
  [DataType.INT32]: 'int32',
  [DataType.INT64]: 'int64',
  [DataType.BOOL]: 'bool',
};

function filled(type: TensorType, dims: number[], value: (i: number) => number): PlainTensor {
  const size = dims.reduce((a, b) => a * b, 1);
  switch (type) {
    case 'int64':
      return { type, dims, data: BigInt64Array.from({ length: size }, (_, i) => BigInt(value(i))) };
    case 'int32':
      return { type, dims, data: Int32Array.from({ length: size }, (_, i) => value(i)) };
    case 'bool':
      return { type, dims, data: Uint8Array.from({ length: size }, (_, i) => value(i)) };
    case 'float16':
      // Only zeros and ones are ever filled in: 0x3c00 is 1.0 in half precision.
      return { type, dims, data: Uint16Array.from({ length: size }, (_, i) => (value(i) ? 0x3c00 : 0)) };
    default:
      return { type, dims, data: Float32Array.from({ length: size }, (_, i) => value(i)) };
  }
}

/** Which axis of a KV-cache input is the batch: a dimension named so, else by rank ([2, batch, …] for rank 5). */
function batchAxis(shape: Dim[]): number {
  const named = shape.findIndex((d) => typeof d === 'string' && /batch/i.test(d));
  if (named >= 0) return named;
  return shape.length === 5 ? 1 : 0;
}

/** Which axis of a KV-cache input is the past length: a dimension named so, else by rank. */
function pastAxis(shape: Dim[]): number {
  const named = shape.findIndex((d) => typeof d === 'string' && /past|seq|len|total/i.test(d));
  if (named >= 0) return named;
  return shape.length === 5 ? 3 : shape.length === 4 ? 2 : shape.length - 2;
}

function isCache(name: string): boolean {
  return /past|cache|key_values/i.test(name);
}

/** An int64 vector, for the inputs the engine adds to a graph. */
export function int64s(values: readonly number[]): PlainTensor {
  return filled('int64', [values.length], (i) => values[i]);
}

/**
 * Feeds for the token ids `ids`, repeated in each of `batch` rows, or `rowIds[b]` in row b (texts
 * of as many tokens). `own` holds the values of the inputs the engine added to the graph; every
 * other input is filled from its name and declaration.
 */
export function buildFeeds(
  inputs: ValueInfo[],
  ids: readonly number[],
  own: Tensors,
  file: string,
  batch = 1,
  rowIds?: readonly (readonly number[])[],
): Tensors {
  const s = ids.length;
  const rows = [batch, s];
  const feeds: Tensors = {};
  for (const input of inputs) {
    const name = input.name;
    const type = TENSOR_TYPES[input.elemType ?? DataType.FLOAT];
    const lower = name.toLowerCase();
    if (own[name]) {
      feeds[name] = own[name];
    } else if (!type) {
    } else if (lower.includes('input_ids') || lower === 'ids' || lower === 'tokens') {
      feeds[name] = filled(type, rows, (i) => (rowIds ? rowIds[Math.floor(i / s)][i % s] : ids[i % s]));
    } else if (lower.includes('attention_mask')) {
      feeds[name] = filled(type, rows, () => 1);
    } else if (lower.includes('position_ids')) {
      feeds[name] = filled(type, rows, (i) => i % s);
    } else if (lower.includes('token_type_ids')) {
      feeds[name] = filled(type, rows, () => 0);
    } else if (lower === 'use_cache_branch') {
      feeds[name] = filled(type, [1], () => 0);
    } else if (isCache(lower) && input.shape) {
      const shape = input.shape;
      const [past, rowsAxis] = [pastAxis(shape), batchAxis(shape)];
      const dims = shape.map((d, i) => (i === past ? 0 : typeof d === 'number' ? d : i === rowsAxis ? batch : 1));
      feeds[name] = filled(type, dims, () => 0);
    }
  }
  const missing = inputs.filter((i) => !(i.name in feeds)).map((i) => i.name);
  if (missing.length) {
    throw new ModelLensError({
      code: 'unsupported-input',
      message: `The model needs input${missing.length > 1 ? 's' : ''} ${missing.join(', ')} that Model Lens does not know how to fill.`,
      file,
      hint: 'Model Lens feeds input_ids, attention_mask, position_ids, token_type_ids and empty KV caches; export the model with only those inputs.',
    });
  }
  return feeds;
}
