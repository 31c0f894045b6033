// The sizes a graph fixes by itself, found before ONNX Runtime sees the model: each way a small
// file can ask for a huge tensor, and no false alarm on real models whose sizes follow the text.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelLensError } from '../../src/engine/errors';
import { Emitter, makeNode, makeTensor } from '../../src/engine/onnx/emit';
import { GraphIndex } from '../../src/engine/onnx/graph';
import { DataType, decodeModel, type ModelProto } from '../../src/engine/onnx/model';
import { checkStaticMemory, largestStaticTensor, WASM_HEAP_BYTES } from '../../src/engine/staticMemory';
import { buildDecoder, type AttentionForm } from '../helpers/decoderBuilder';
import { DEFAULT_MODEL, exists, TINY_GPT2 } from '../helpers/paths';

const GB = 1024 ** 3;

/** A graph with a dynamic `input_ids` [batch, sequence] whose nodes `build` emits. */
function graph(build: (em: Emitter) => void): GraphIndex {
  const em = new Emitter(17, '');
  build(em);
  const model: ModelProto = {
    irVersion: 8,
    producerName: 'test',
    producerVersion: '',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'g',
      node: em.nodes,
      initializer: em.initializers,
      input: [{ name: 'input_ids', elemType: DataType.INT64, shape: ['batch', 'sequence'] }],
      output: [],
      valueInfo: [],
    },
  };
  return new GraphIndex(model);
}

function largest(build: (em: Emitter) => void): { op: string; dims: number[]; bytes: number } | undefined {
  const found = largestStaticTensor(graph(build));
  return found && { op: found.node.opType, dims: found.dims, bytes: found.bytes };
}

describe('largestStaticTensor', () => {
  it('sizes a ConstantOfShape from an initializer, with the element type of its value', () => {
    expect(largest((em) => em.op1('ConstantOfShape', [em.ints([2 ** 31])]))).toEqual({ op: 'ConstantOfShape', dims: [2 ** 31], bytes: 8 * GB });
    const bytes = makeTensor('v', DataType.BOOL, [1], [1]);
    expect(largest((em) => em.op1('ConstantOfShape', [em.ints([2 ** 31])], { value: bytes }))?.bytes).toBe(2 * GB);
  });

  it('folds a shape built from Constant nodes, Concat, Cast and arithmetic', () => {
    const found = largest((em) => {
      const constant = (values: number[]) => {
        const name = em.fresh('c');
        em.nodes.push(makeNode('Constant', [], [name], { value: makeTensor(`${name}_v`, DataType.INT64, [values.length], values) }));
        return name;
      };
      const shape = em.op1('Mul', [em.op1('Concat', [constant([256]), constant([128])], { axis: 0 }), constant([256])]);
      em.op1('ConstantOfShape', [em.cast(shape, DataType.INT64)]);
    });
    expect(found).toEqual({ op: 'ConstantOfShape', dims: [65536, 32768], bytes: 8 * GB });
  });

  it('sizes Expand, Tile and Range, counting a dimension the text decides as 1', () => {
    // Expand of the (dynamic) input to a constant shape is at least that shape.
    expect(largest((em) => em.op1('Expand', ['input_ids', em.ints([1, 65536, 65536])]))).toEqual({ op: 'Expand', dims: [1, 65536, 65536], bytes: 32 * GB });
    expect(largest((em) => em.op1('Tile', [em.constant(DataType.FLOAT, [1, 2], [0, 0]), em.ints([65536, 32768])]))).toEqual({
      op: 'Tile',
      dims: [65536, 65536],
      bytes: 16 * GB,
    });
    expect(largest((em) => em.op1('Range', [em.scalar(0, DataType.INT64), em.scalar(2 ** 30, DataType.INT64), em.scalar(1, DataType.INT64)]))).toEqual({
      op: 'Range',
      dims: [2 ** 30],
      bytes: 8 * GB,
    });
    expect(largest((em) => em.op1('RandomNormal', [], { shape: [65536, 65536] }))?.bytes).toBe(16 * GB);
  });

  it('follows sizes through reshapes and an outer product', () => {
    const found = largest((em) => {
      const r = em.op1('Range', [em.scalar(0), em.scalar(65536), em.scalar(1)]); // float [65536]
      const column = em.unsqueeze(r, [1]);
      const row = em.op1('Reshape', [r, em.ints([1, -1])]);
      em.op1('Sigmoid', [em.op1('MatMul', [column, row])]);
    });
    expect(found).toMatchObject({ dims: [65536, 65536], bytes: 16 * GB });
  });

  it('leaves sizes that follow the text unknown', () => {
    const found = largest((em) => {
      const sequence = em.squeeze(em.dim('input_ids', 1), [0]);
      const positions = em.op1('Range', [em.scalar(0, DataType.INT64), sequence, em.scalar(1, DataType.INT64)]);
      em.op1('Greater', [em.unsqueeze(positions, [0]), em.unsqueeze(positions, [1])]);
      em.op1('ConstantOfShape', [em.op1('Shape', ['input_ids'])]);
    });
    expect(found?.bytes ?? 0).toBeLessThan(1024);
  });

  const forms: AttentionForm[] = ['unfused', 'fused-attention', 'mha', 'mha-rope', 'gqa', 'gqa-packed', 'gqa-window-softcap', 'manual-softmax'];
  it.each(forms)('finds nothing large in a %s decoder', (attention) => {
    expect(largestStaticTensor(new GraphIndex(decodeModel(buildDecoder({ attention }))))?.bytes ?? 0).toBeLessThan(1024);
  });

  it('finds only what real exports fold from their weights', () => {
    // lens-tiny's unembedding is a Transpose of its embedding, which ONNX Runtime folds into a copy.
    const lensTiny = largestStaticTensor(new GraphIndex(decodeModel(fs.readFileSync(path.join(DEFAULT_MODEL, 'onnx', 'model.onnx')))));
    expect(lensTiny).toMatchObject({ dims: [256, 4096], bytes: 4 * 1024 * 1024 });
    if (exists(TINY_GPT2))
      expect(largestStaticTensor(new GraphIndex(decodeModel(fs.readFileSync(path.join(TINY_GPT2, 'past.onnx')))))?.bytes ?? 0).toBeLessThan(1024);
  });
});

describe('checkStaticMemory', () => {
  const hostile = graph((em) => em.op1('ConstantOfShape', [em.ints([2 ** 31])]));

  it('refuses a graph whose fixed tensor, with the files, exceeds the limit, naming the node and the file', () => {
    const error = (() => {
      try {
        checkStaticMemory(hostile, '/models/tiny/model.onnx', 1024 * 1024, 2048 * 1024 * 1024);
      } catch (e) {
        return e;
      }
    })() as ModelLensError;
    expect(error).toBeInstanceOf(ModelLensError);
    expect(error.code).toBe('too-large');
    expect(error.file).toBe('/models/tiny/model.onnx');
    expect(error.message).toMatch(/ConstantOfShape.*\[2147483648\].*8192 MB.*2048 MB allowed by modelLens\.maxModelSizeMB/);
  });

  it('counts the files and the tensor together', () => {
    const small = graph((em) => em.op1('ConstantOfShape', [em.ints([256, 1024, 1024])])); // 1 GB
    expect(() => checkStaticMemory(small, 'm.onnx', 512 * 1024 * 1024, 2 * GB)).not.toThrow();
    expect(() => checkStaticMemory(small, 'm.onnx', 1536 * 1024 * 1024, 2 * GB)).toThrow(/allowed by modelLens\.maxModelSizeMB/);
    expect(() => checkStaticMemory(small, 'm.onnx', 1024, WASM_HEAP_BYTES)).not.toThrow();
    expect(() => checkStaticMemory(hostile, 'm.onnx', 1024, WASM_HEAP_BYTES)).toThrow(ModelLensError);
  });
});
