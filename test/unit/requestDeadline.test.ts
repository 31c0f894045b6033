// A request's deadline grows with the work it may legitimately take: the model's files on disk
// (its external data included, whatever its name) and the text's length.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import manifest from '../../package.json';
import { DEFAULT_REQUEST_TIMEOUT_S, deadlineMs, modelBytesOnDisk } from '../../src/engine/requestDeadline';
import { buildDecoder, withExternalData } from '../helpers/decoderBuilder';
import { writeModelFolder } from '../helpers/modelFolder';

const MB = 1024 * 1024;

describe('deadlineMs', () => {
  it('gives a small model and a short text the base time, and more for larger ones', () => {
    expect(deadlineMs(30_000, 0)).toBe(30_000);
    expect(deadlineMs(30_000, 1024 * MB)).toBe(5 * 30_000);
    expect(deadlineMs(30_000, 0, 8192)).toBe(3 * 30_000);
    expect(deadlineMs(30_000, 1024 * MB, 8192)).toBe(15 * 30_000);
  });

  it('has the default the setting declares', () => {
    expect(manifest.contributes.configuration.properties['modelLens.requestTimeoutSeconds'].default).toBe(DEFAULT_REQUEST_TIMEOUT_S);
  });
});

describe('modelBytesOnDisk', () => {
  it('counts the model file and its external data, not the other variants beside it', () => {
    const { onnx, data } = withExternalData(buildDecoder({ attention: 'unfused' }), 'weights.bin');
    const folder = writeModelFolder('deadline-bytes', onnx, { 'onnx/weights.bin': data, 'onnx/model_q4.onnx': new Uint8Array(4096) });
    expect(data.length).toBeGreaterThan(onnx.length);
    expect(modelBytesOnDisk(folder)).toBe(onnx.length + data.length);
    expect(modelBytesOnDisk(path.join(folder, 'onnx', 'model.onnx'))).toBe(onnx.length + data.length);
  });

  it('is 0 where there is no model, leaving the load to say why', () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lens-empty-'));
    expect(modelBytesOnDisk(folder)).toBe(0);
  });
});
