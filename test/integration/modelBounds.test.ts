// A model folder may make the engine read only files inside it: external data, tokenizer files,
// the decoder genai_config.json names and the files found by name are checked after resolving
// ".." and symlinks, on every backend, before any runtime sees them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelLensError } from '../../src/engine/errors';
import { LoadedModel, type LoadOptions } from '../../src/engine/loadedModel';
import { decodeModel, encodeModel, type ModelProto, type TensorProto } from '../../src/engine/onnx/model';
import { AttributeType, DataType } from '../../src/engine/onnx/model';
import { ortRunners } from '../../src/engine/runtime';
import { buildDecoder, withExternalData } from '../helpers/decoderBuilder';
import { writeModelFolder } from '../helpers/modelFolder';
import { rejection } from '../helpers/rejection';
import { hookGroups } from '../../src/shared/hooks';

const BACKENDS: [string, LoadOptions][] = [
  ['WebAssembly', { backend: 'wasm', threads: 1 }],
  ['native', { backend: 'native', threads: 1 }],
  // The WebGPU tab gets the bytes the worker read; a WebAssembly runner stands in for the tab.
  ['a remote runner (WebGPU)', { backend: 'webgpu', threads: 1, remote: ortRunners('wasm', 1) }],
];

const loadError = (target: string, options: LoadOptions) => rejection(LoadedModel.load(target, options));

function expectOutside(e: ModelLensError, file: string): void {
  expect(e.code).toBe('outside-folder');
  expect(e.message).toContain("outside the model's folder");
  expect(e.file).toBe(file);
}

/** A file outside every model folder: the weights a hostile model would like read. */
function secretFile(name: string, bytes: Uint8Array): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lens-secret-'));
  fs.writeFileSync(path.join(dir, name), bytes);
  return path.join(dir, name);
}

const external = withExternalData(buildDecoder({ attention: 'unfused' }), 'weights.bin');

/** The decoder with its weights at `location`, relative to onnx/. */
function externalAt(location: string): Uint8Array {
  return withExternalData(buildDecoder({ attention: 'unfused' }), location).onnx;
}

describe.each(BACKENDS)('a model folder on %s', (_name, options) => {
  it('cannot read external data through ".."', async () => {
    const secret = secretFile('weights.bin', external.data);
    const folder = writeModelFolder('traversal', new Uint8Array());
    const onnx = path.join(folder, 'onnx', 'model.onnx');
    // As deep as the file system: the same location an attacker would write for /etc/passwd.
    const location = path.relative(path.dirname(onnx), secret);
    fs.writeFileSync(onnx, externalAt(location));
    expectOutside(await loadError(folder, options), onnx);
  });

  it('cannot read external data through a symlink inside the folder', async () => {
    const secret = secretFile('weights.bin', external.data);
    const folder = writeModelFolder('symlink', externalAt('link/weights.bin'));
    fs.symlinkSync(path.dirname(secret), path.join(folder, 'onnx', 'link'));
    expectOutside(await loadError(folder, options), path.join(folder, 'onnx', 'model.onnx'));
  });

  it('still reads external data inside the folder, also through a symlink that stays in it', async () => {
    const folder = writeModelFolder('inside', externalAt('data/weights.bin'));
    fs.mkdirSync(path.join(folder, 'weights'));
    fs.writeFileSync(path.join(folder, 'weights', 'weights.bin'), external.data);
    fs.symlinkSync(path.join(folder, 'weights'), path.join(folder, 'onnx', 'data'));
    const model = await LoadedModel.load(folder, options);
    const a = await model.analyze('the cat', { hooks: hookGroups.attention });
    expect(a.activations['blocks.1.attn.hook_pattern'].shape).toEqual([4, 7, 7]);
    await model.release();
  });
});

describe('files a model folder names', () => {
  const options: LoadOptions = { backend: 'wasm', threads: 1 };

  it('an absolute external data location is read inside the folder, never from the absolute path', async () => {
    const secret = secretFile('weights.bin', external.data);
    const folder = writeModelFolder('absolute', externalAt(secret));
    const e = await loadError(folder, options);
    expect(e.code).toBe('damaged-model');
    expect(e.file).toBe(path.join(folder, 'onnx', secret));
  });

  it('external data named by a tensor outside the initializers (a Constant node in an If branch) is checked too', async () => {
    const secret = secretFile('weights.bin', new Uint8Array(16));
    const model = decodeModel(buildDecoder({ attention: 'unfused' }));
    const folder = writeModelFolder('subgraph', new Uint8Array());
    const onnx = path.join(folder, 'onnx', 'model.onnx');
    fs.writeFileSync(onnx, encodeModel(withHiddenExternalTensor(model, path.relative(path.dirname(onnx), secret))));
    expectOutside(await loadError(folder, options), onnx);
  });

  it('a tokenizer.json that is a symlink out of the folder is not read', async () => {
    const folder = writeModelFolder('tokenizer', buildDecoder({ attention: 'unfused' }));
    const outside = secretFile('tokenizer.json', fs.readFileSync(path.join(folder, 'tokenizer.json')));
    fs.rmSync(path.join(folder, 'tokenizer.json'));
    fs.symlinkSync(outside, path.join(folder, 'tokenizer.json'));
    expectOutside(await loadError(folder, options), path.join(folder, 'tokenizer.json'));
  });

  it('a .onnx file found in the folder that is a symlink out of it is not read', async () => {
    const outside = secretFile('model.onnx', buildDecoder({ attention: 'unfused' }));
    const folder = writeModelFolder('onnx-link', new Uint8Array());
    fs.rmSync(path.join(folder, 'onnx', 'model.onnx'));
    fs.symlinkSync(outside, path.join(folder, 'onnx', 'model.onnx'));
    expectOutside(await loadError(folder, options), path.join(folder, 'onnx', 'model.onnx'));
  });

  it("genai_config.json's decoder outside the folder is not read", async () => {
    const outside = secretFile('model.onnx', buildDecoder({ attention: 'unfused' }));
    const folder = writeModelFolder('genai', buildDecoder({ attention: 'unfused' }));
    const genai = path.join(folder, 'genai_config.json');
    fs.writeFileSync(genai, JSON.stringify({ model: { decoder: { filename: path.relative(folder, outside) } } }));
    expectOutside(await loadError(folder, options), genai);
  });

  it('a Hugging Face Hub cache snapshot, whose files are symlinks into the blobs folder, loads', async () => {
    const source = writeModelFolder('hub-source', buildDecoder({ attention: 'unfused' }));
    const repo = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'model-lens-hub-')), 'models--org--tiny');
    const snapshot = path.join(repo, 'snapshots', 'abc123');
    fs.mkdirSync(path.join(snapshot, 'onnx'), { recursive: true });
    fs.mkdirSync(path.join(repo, 'blobs'));
    for (const file of ['tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
      const blob = path.join(repo, 'blobs', file.replace('/', '-'));
      fs.copyFileSync(path.join(source, file), blob);
      fs.symlinkSync(path.relative(path.dirname(path.join(snapshot, file)), blob), path.join(snapshot, file));
    }
    const model = await LoadedModel.load(snapshot, options);
    expect(model.info.folder).toBe(snapshot);
    await model.release();
  });
});

/**
 * `model` with an If whose then-branch holds a Constant whose value lives in external data at
 * `location`: a tensor no initializer list shows. The If's output is not used by the logits.
 */
function withHiddenExternalTensor(model: ModelProto, location: string): ModelProto {
  const tensor: TensorProto = {
    name: 'hidden',
    dims: [4],
    dataType: DataType.FLOAT,
    dataLocation: 1,
    externalData: [
      { key: 'location', value: location },
      { key: 'offset', value: '0' },
      { key: 'length', value: '16' },
    ],
  };
  const branch = (value: TensorProto) => ({
    name: 'branch',
    node: [
      { input: [], output: ['branch_out'], name: 'c', opType: 'Constant', domain: '', attribute: [{ name: 'value', type: AttributeType.TENSOR, t: value }] },
    ],
    output: [{ name: 'branch_out', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 4 }] } } } }],
  });
  const plain: TensorProto = { name: 'plain', dims: [4], dataType: DataType.FLOAT, floatData: [0, 0, 0, 0] };
  model.graph.initializer.push({ name: 'cond', dims: [], dataType: DataType.BOOL, int32Data: [1] });
  model.graph.node.push({
    input: ['cond'],
    output: ['hidden_out'],
    name: 'hidden_if',
    opType: 'If',
    domain: '',
    attribute: [
      { name: 'then_branch', type: AttributeType.GRAPH, g: branch(tensor) },
      { name: 'else_branch', type: AttributeType.GRAPH, g: branch(plain) },
    ],
  });
  return model;
}
