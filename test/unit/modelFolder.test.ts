// Which .onnx file of a folder is analysed, and what it was chosen over (the side panel says both):
// full precision first, then fp16, quantized, and merged decoders last.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveModelFiles } from '../../src/engine/modelFolder';

const folders: string[] = [];

function folderWith(files: string[]): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lens-folder-'));
  folders.push(folder);
  for (const file of ['tokenizer.json', ...files]) {
    fs.mkdirSync(path.dirname(path.join(folder, file)), { recursive: true });
    fs.writeFileSync(path.join(folder, file), '{}');
  }
  return folder;
}

afterEach(() => {
  for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
});

describe('the .onnx file of a folder', () => {
  it('is model.onnx when there is one, and lists the others relative to the folder', () => {
    const folder = folderWith(['onnx/model_quantized.onnx', 'onnx/model.onnx', 'onnx/model_fp16.onnx', 'onnx/decoder_model_merged.onnx']);
    const files = resolveModelFiles(folder);
    expect(path.relative(folder, files.onnx)).toBe(path.join('onnx', 'model.onnx'));
    expect([...files.otherOnnx].sort()).toEqual(['decoder_model_merged.onnx', 'model_fp16.onnx', 'model_quantized.onnx'].map((f) => path.join('onnx', f)));
  });

  it('prefers fp16 to quantized, and quantized to a merged decoder', () => {
    expect(path.basename(resolveModelFiles(folderWith(['onnx/model_q4.onnx', 'onnx/model_fp16.onnx', 'onnx/decoder_model_merged.onnx'])).onnx)).toBe(
      'model_fp16.onnx',
    );
    expect(path.basename(resolveModelFiles(folderWith(['onnx/model_q4.onnx', 'onnx/decoder_model_merged.onnx'])).onnx)).toBe('model_q4.onnx');
  });

  it('is the file the user chose, with its siblings listed', () => {
    const folder = folderWith(['onnx/model.onnx', 'onnx/model_int8.onnx']);
    const files = resolveModelFiles(path.join(folder, 'onnx', 'model_int8.onnx'));
    expect(path.basename(files.onnx)).toBe('model_int8.onnx');
    expect(files.otherOnnx).toEqual([path.join('onnx', 'model.onnx')]);
  });
});
