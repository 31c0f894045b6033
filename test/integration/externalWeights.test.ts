// The engine hands ONNX Runtime WebAssembly the graph with its weights outside, pointing back into
// the model's own bytes, which the runtime reads from disk as it copies each weight: the rewrite
// must keep every other byte, the runtime must really take the weights from disk, and the model
// must compute the same.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writer } from 'protobufjs/light';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelLensError } from '../../src/engine/errors';
import { MIN_EXTERNAL_BYTES, moveWeightsOut } from '../../src/engine/onnx/externalWeights';
import { FileBytes } from '../../src/engine/onnx/fileBytes';
import { DataType, decodeModel, encodeSuffix, type TensorProto } from '../../src/engine/onnx/model';
import type { ModelBytes, Runner, RunnerFactory } from '../../src/engine/runner';
import { ortRunners } from '../../src/engine/runtime';
import { checkedDiskReads, externalDataFiles, readFromDisk } from '../../src/engine/sessionBytes';
import { buildDecoder, withExternalData } from '../helpers/decoderBuilder';

const LOCATION = 'weights.bin';

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.length).indexOf(Buffer.from(needle)) >= 0;
}

/** The logits a runner computes for a fixed input (as a plain array, with their dims); the runner is released. */
async function logitsOf(runner: Runner): Promise<{ dims: number[]; values: number[] }> {
  const ids = [1, 5, 9, 2, 33, 17, 4];
  const tensor = (values: number[]) => ({ type: 'int64' as const, dims: [1, values.length], data: BigInt64Array.from(values, BigInt) });
  const out = (await runner.run({ input_ids: tensor(ids), attention_mask: tensor(ids.map(() => 1)) }, ['logits'])).logits;
  await runner.release();
  return { dims: out.dims, values: Array.from(out.data as Float32Array) };
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
    const unknownField = Writer.create()
      .uint32(99 << 3)
      .uint32(42)
      .finish();
    const bytes = new Uint8Array(Buffer.concat([model, unknownField]));
    const { graph, movedBytes } = moveWeightsOut(bytes, LOCATION)!;
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
    let bytesMoved = 0;
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
      bytesMoved += at.length;
      expect(t.dataLocation).toBe(1);
      expect(t.rawData!.length).toBe(0);
      expect(at.location).toBe(LOCATION);
      expect(bytes.subarray(at.offset, at.offset + at.length)).toEqual(original.rawData);
    });
    expect(moved).toBeGreaterThan(4);
    expect(movedBytes).toBe(bytesMoved);
  });

  it('rewrites every graph field of a model with an appended suffix', () => {
    const big: TensorProto = { name: 'suffix_weight', dims: [512], dataType: DataType.FLOAT, rawData: new Uint8Array(2048).fill(7) };
    const bytes = new Uint8Array(Buffer.concat([model, encodeSuffix({ node: [], input: [], output: [], initializer: [big] })]));
    const t = decodeModel(moveWeightsOut(bytes, LOCATION)!.graph).graph.initializer.find((i) => i.name === 'suffix_weight')!;
    const at = reference(t);
    expect(at.offset).toBeGreaterThan(model.length);
    expect(bytes.subarray(at.offset, at.offset + at.length)).toEqual(big.rawData);
  });

  it('leaves a model alone when its weights are already external or small', () => {
    expect(moveWeightsOut(withExternalData(model, 'model.onnx_data').onnx, LOCATION)).toBeUndefined();
  });

  it('gives ONNX Runtime a model that computes exactly the same logits', async () => {
    const wasm = ortRunners('wasm', 1);
    const inline = await logitsOf(await wasm({ model, externalData: [] }));
    const outside = await logitsOf(await wasm({ model: moveWeightsOut(model, LOCATION)!.graph, externalData: [{ path: LOCATION, data: model }] }));
    expect(outside).toEqual(inline);
  });
});

describe('reading weights from disk', () => {
  const model = buildDecoder({ attention: 'unfused', seed: 4 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lens-disk-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const inline = async () => logitsOf(await ortRunners('wasm', 1)({ model, externalData: [] }));
  const write = (name: string, bytes: Uint8Array) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    return file;
  };
  /** The WebAssembly runners, recording the bytes of every session they create. */
  const recording = () => {
    const created: ModelBytes[] = [];
    const wasm = ortRunners('wasm', 1);
    const factory: RunnerFactory = (b) => {
      created.push(b);
      return wasm(b);
    };
    return { factory, created };
  };

  it('gives ONNX Runtime every weight through FileBytes, with the bytes appended in memory, and the same logits', async () => {
    const file = write('model.onnx', model);
    // A suffix with a large initializer of its own: it lives only in memory, after the file's end.
    const big: TensorProto = { name: 'suffix_weight', dims: [512], dataType: DataType.FLOAT, rawData: new Uint8Array(2048).fill(7) };
    const withSuffix = new Uint8Array(Buffer.concat([model, encodeSuffix({ node: [], input: [], output: [], initializer: [big] })]));
    const bytes = readFromDisk(withSuffix, file, fs.statSync(file), []);
    expect(bytes.model.length).toBeLessThan(model.length / 4);
    const weights = bytes.externalData[0].data as FileBytes;
    expect(weights).toBeInstanceOf(FileBytes);
    expect(weights.byteLength).toBe(withSuffix.length);
    expect(Array.from(weights.subarray(model.length - 4, model.length + 8))).toEqual(Array.from(withSuffix.subarray(model.length - 4, model.length + 8)));
    expect(Array.from(weights.slice(model.length - 4, model.length + 8))).toEqual(Array.from(withSuffix.subarray(model.length - 4, model.length + 8)));

    const { factory, created } = recording();
    const fromDisk = await logitsOf(await checkedDiskReads(factory)(bytes));
    expect(created).toHaveLength(1);
    expect(weights.tookWeights()).toBe(true);
    expect(fromDisk).toEqual(await inline());
  });

  it('reads external data files the same way', async () => {
    const { onnx, data } = withExternalData(model, 'model.onnx_data');
    const file = write('external.onnx', onnx);
    write('model.onnx_data', data);
    const external = externalDataFiles(decodeModel(onnx), file, dir);
    expect(external).toEqual([{ path: 'model.onnx_data', data: path.join(dir, 'model.onnx_data'), bytes: data.length }]);
    const bytes = readFromDisk(onnx, file, fs.statSync(file), external);
    const { factory, created } = recording();
    const fromDisk = await logitsOf(await checkedDiskReads(factory)(bytes));
    expect(created).toHaveLength(1);
    expect((bytes.externalData[0].data as FileBytes).tookWeights()).toBe(true);
    expect(fromDisk).toEqual(await inline());
  });

  it('gives the weights again in plain buffers when the runtime did not take them through FileBytes', async () => {
    const file = write('bypassed.onnx', model);
    const bytes = readFromDisk(model, file, fs.statSync(file), []);
    // As if the runtime had read the weights some other way: more bytes came through subarray than there are weights.
    const bypassed = { ...bytes, externalData: [{ path: bytes.externalData[0].path, data: new FileBytes(file, 1) }] };
    const { factory, created } = recording();
    const result = await logitsOf(await checkedDiskReads(factory)(bypassed));
    expect(created).toHaveLength(2);
    expect(created[1].externalData[0].data).not.toBeInstanceOf(FileBytes);
    expect(result).toEqual(await inline());
  });

  it('refuses a model file that changed while it was being loaded', async () => {
    const file = write('changing.onnx', model);
    const bytes = readFromDisk(model, file, fs.statSync(file), []);
    fs.utimesSync(file, new Date(), new Date(Date.now() + 60_000));
    const error = await checkedDiskReads(ortRunners('wasm', 1))(bytes).catch((e) => e);
    expect(error).toBeInstanceOf(ModelLensError);
    expect((error as ModelLensError).code).toBe('damaged-model');
  });
});
