// ONNX Runtime WebAssembly takes some weights more than once (the default model's token
// embedding, which its unembedding shares; norms the logit lens' copies of the head read). A
// weight taken again is still one weight: the session built from FileBytes is kept, not built a
// second time from plain buffers, which cost the cold start a whole session creation.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveModelFiles } from '../../src/engine/modelFolder';
import { FileBytes } from '../../src/engine/onnx/fileBytes';
import type { ModelBytes, RunnerFactory } from '../../src/engine/runner';
import { ortRunners } from '../../src/engine/runtime';
import { checkedDiskReads, readFromDisk } from '../../src/engine/sessionBytes';
import { DEFAULT_MODEL } from '../helpers/paths';

describe('weights taken more than once', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lens-rereads-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('count once towards the weights FileBytes expected', () => {
    const file = path.join(dir, 'weights.bin');
    fs.writeFileSync(
      file,
      new Uint8Array(4096).map((_, i) => i % 251),
    );
    const weights = new FileBytes(file, 3000);
    weights.subarray(0, 2048);
    weights.subarray(0, 2048);
    weights.subarray(2048, 3000);
    weights.subarray(2048, 3000);
    expect(weights.tookWeights()).toBe(true);
    weights.resetCount();
    expect(weights.tookWeights()).toBe(false);
    // The whole file in one piece is more than its weights: the runtime did not take them one by one.
    weights.subarray(0, 4096);
    expect(weights.tookWeights()).toBe(false);
  });

  it('leave the default model in one WebAssembly session built from FileBytes', async () => {
    const file = resolveModelFiles(DEFAULT_MODEL).onnx;
    const bytes = readFromDisk(new Uint8Array(fs.readFileSync(file)), file, fs.statSync(file), []);
    const created: ModelBytes[] = [];
    const wasm = ortRunners('wasm', 1);
    const recording: RunnerFactory = (b) => {
      created.push(b);
      return wasm(b);
    };
    const runner = await checkedDiskReads(recording)(bytes);
    try {
      expect(created).toHaveLength(1);
      expect(created[0].externalData[0].data).toBeInstanceOf(FileBytes);
      expect((created[0].externalData[0].data as FileBytes).tookWeights()).toBe(true);
    } finally {
      await runner.release();
    }
  });
});
