// The engine hands ONNX Runtime WebAssembly the graph with its weights outside, pointing back into
// the model's own bytes: the rewrite must keep every other byte, and the model must compute the same.
import { Writer } from 'protobufjs/light';
import { describe, expect, it } from 'vitest';
import { MIN_EXTERNAL_BYTES, moveWeightsOut } from '../../src/engine/onnx/externalWeights';
import { DataType, decodeModel, encodeSuffix, type TensorProto } from '../../src/engine/onnx/model';
import { ortRunners } from '../../src/engine/runtime';
import { buildDecoder, withExternalData } from '../helpers/decoderBuilder';

const LOCATION = 'weights.bin';

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.length).indexOf(Buffer.from(needle)) >= 0;
}

/** Where an external tensor's bytes are, read from its external_data entries. */
function reference(t: TensorProto): { location: string; offset: number; length: number } {
  const value = (key: string) => t.externalData!.find((e) => e.key === key)!.value;
  return { location: value('location'), offset: Number(value('offset')), length: Number(value('length')) };
}

describe('moving weights out of a model', () => {
  const model = buildDecoder({ attention: 'unfused', seed: 3 });

  it('points every large initializer at its own bytes and leaves the rest as it was', () => {
    // A field the engine's schema does not know (ModelProto field 99, a varint): it must survive.
    const unknownField = Writer.create().uint32(99 << 3).uint32(42).finish();
    const bytes = new Uint8Array(Buffer.concat([model, unknownField]));
    const graph = moveWeightsOut(bytes, LOCATION)!;
    expect(graph.length).toBeLessThan(bytes.length / 4);
    expect(contains(graph, unknownField)).toBe(true);

    const before = decodeModel(bytes);
    const after = decodeModel(graph);
    expect(after.graph.node).toEqual(before.graph.node);
    expect(after.graph.input).toEqual(before.graph.input);
    expect(after.graph.output).toEqual(before.graph.output);
    expect(after.opsetImport).toEqual(before.opsetImport);
    expect(after.graph.initializer.map((t) => t.name)).toEqual(before.graph.initializer.map((t) => t.name));
    let moved = 0;
    before.graph.initializer.forEach((original, i) => {
      const t = after.graph.initializer[i];
      expect([t.dims, t.dataType]).toEqual([original.dims, original.dataType]);
      if (original.rawData!.length < MIN_EXTERNAL_BYTES) {
        expect(t.rawData).toEqual(original.rawData);
        expect(t.dataLocation).toBe(0);
        return;
      }
      moved++;
      const at = reference(t);
      expect(t.dataLocation).toBe(1);
      expect(t.rawData!.length).toBe(0);
      expect(at.location).toBe(LOCATION);
      expect(bytes.subarray(at.offset, at.offset + at.length)).toEqual(original.rawData);
    });
    expect(moved).toBeGreaterThan(4);
  });

  it('rewrites every graph field of a model with an appended suffix', () => {
    const big: TensorProto = { name: 'suffix_weight', dims: [512], dataType: DataType.FLOAT, rawData: new Uint8Array(2048).fill(7) };
    const bytes = new Uint8Array(Buffer.concat([model, encodeSuffix({ node: [], input: [], output: [], initializer: [big] })]));
    const t = decodeModel(moveWeightsOut(bytes, LOCATION)!).graph.initializer.find((i) => i.name === 'suffix_weight')!;
    const at = reference(t);
    expect(at.offset).toBeGreaterThan(model.length);
    expect(bytes.subarray(at.offset, at.offset + at.length)).toEqual(big.rawData);
  });

  it('leaves a model alone when its weights are already external or small', () => {
    expect(moveWeightsOut(withExternalData(model, 'model.onnx_data').onnx, LOCATION)).toBeUndefined();
  });

  it('gives ONNX Runtime a model that computes exactly the same logits', async () => {
    const wasm = ortRunners('wasm', 1);
    const ids = [1, 5, 9, 2, 33, 17, 4];
    const tensor = (values: number[]) => ({ type: 'int64' as const, dims: [1, values.length], data: BigInt64Array.from(values, BigInt) });
    const feeds = { input_ids: tensor(ids), attention_mask: tensor(ids.map(() => 1)) };
    const logits = async (runner: Awaited<ReturnType<typeof wasm>>) => {
      const out = (await runner.run(feeds, ['logits'])).logits;
      await runner.release();
      return out;
    };
    const inline = await logits(await wasm({ model, externalData: [] }));
    const outside = await logits(await wasm({ model: moveWeightsOut(model, LOCATION)!, externalData: [{ path: LOCATION, data: model }] }));
    expect(outside.dims).toEqual(inline.dims);
    expect(Array.from(outside.data as Float32Array)).toEqual(Array.from(inline.data as Float32Array));
  });
});
