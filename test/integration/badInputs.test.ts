// Bad input gets a clear error that names the file and says what to do; nothing else breaks.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelLensError } from '../../src/engine/errors';
import { LoadedModel } from '../../src/engine/loadedModel';
import { buildDecoder, withExternalData } from '../helpers/decoderBuilder';
import { makeNode } from '../../src/engine/onnx/emit';
import { decodeModel, encodeModel } from '../../src/engine/onnx/model';
import { BACKENDS } from '../helpers/backends';
import { writeModelFolder } from '../helpers/modelFolder';
import { exists, TINY_GPT2 } from '../helpers/paths';
import { hookGroups, hooks } from '../../src/shared/hooks';

const OPTIONS = { backend: 'wasm' as const, threads: 1 };

async function loadError(target: string, options = OPTIONS): Promise<ModelLensError> {
  const error = await LoadedModel.load(target, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelLensError);
  return error as ModelLensError;
}

function onnxOf(folder: string): string {
  return path.join(folder, 'onnx', 'model.onnx');
}

describe('a model that cannot be used', () => {
  it('is not an ONNX file', async () => {
    const folder = writeModelFolder('text', new TextEncoder().encode('This is a README, not a model.\n'));
    const e = await loadError(folder);
    expect(e.code).toBe('not-onnx');
    expect(e.file).toBe(onnxOf(folder));
    expect(e.userMessage).toMatch(/not an ONNX model.*Choose the \.onnx file of a language model/s);
  });

  it('is truncated', async () => {
    const bytes = buildDecoder({ attention: 'unfused' });
    for (const fraction of [0.3, 0.7, 0.95]) {
      const folder = writeModelFolder('truncated', bytes.subarray(0, Math.floor(bytes.length * fraction)));
      const e = await loadError(folder);
      expect(['not-onnx', 'damaged-model']).toContain(e.code);
      expect(e.file).toBe(onnxOf(folder));
      expect(e.hint).toMatch(/again|Choose/);
    }
  });

  it('has no logits output', async () => {
    const folder = writeModelFolder('no-logits', buildDecoder({ attention: 'unfused', hiddenStateOnly: true }));
    const e = await loadError(folder);
    expect(e.code).toBe('no-logits');
    expect(e.userMessage).toContain('its outputs are: last_hidden_state');
    expect(e.userMessage).toContain('language-model head');
  });

  it('has logits that are neither per position nor class scores', async () => {
    const model = decodeModel(buildDecoder({ attention: 'unfused', classes: 2 }));
    model.graph.output[0].shape = ['batch'];
    const folder = writeModelFolder('scores', encodeModel(model));
    const e = await loadError(folder);
    expect(e.code).toBe('no-logits');
    expect(e.userMessage).toContain('logits is [batch], neither logits for every position');
    expect(e.file).toBe(onnxOf(folder));
  });

  it('uses an operator of a custom domain that ONNX Runtime has no kernel for: the load fails naming it', async () => {
    const model = decodeModel(buildDecoder({ attention: 'unfused' }));
    const sigmoid = model.graph.node.find((n) => n.opType === 'Sigmoid')!;
    Object.assign(sigmoid, { opType: 'FancySigmoid', domain: 'com.example' });
    model.opsetImport.push({ domain: 'com.example', version: 1 });
    const folder = writeModelFolder('custom-op', encodeModel(model));
    const e = await loadError(folder);
    expect(e.code).toBe('load-failed');
    expect(e.userMessage).toContain('FancySigmoid');
    expect(e.file).toBe(onnxOf(folder));
  });

  it('writes its MLP with an operator the engine does not read as a projection: that hook is left out, with why, not taken from another projection', async () => {
    const model = decodeModel(buildDecoder({ attention: 'unfused' }));
    // The MLPs' down projections (the MatMuls reading SiLU's product) as Einsums, which ONNX Runtime runs.
    const products = new Set(model.graph.node.filter((n) => n.opType === 'Mul').map((n) => n.output[0]));
    const down = model.graph.node.filter((n) => n.opType === 'MatMul' && products.has(n.input[0]));
    expect(down).toHaveLength(2);
    for (const node of down) Object.assign(node, makeNode('Einsum', node.input, node.output, { equation: 'bsi,io->bso' }));
    const plain = await LoadedModel.load(writeModelFolder('matmul-mlp', buildDecoder({ attention: 'unfused' })), OPTIONS);
    const einsum = await LoadedModel.load(writeModelFolder('einsum-mlp', encodeModel(model)), OPTIONS);
    try {
      expect(einsum.info.notes).toContain(
        "blocks.0.mlp.hook_post is unavailable: the MLP's output reaches the stream through a Einsum node, which Model Lens does not read as a projection",
      );
      const a = await einsum.analyze('the cat', { hooks: hookGroups.activations });
      const b = await plain.analyze('the cat', { hooks: hookGroups.activations });
      expect(a.activations[hooks.mlpPost(0)]).toBeUndefined();
      expect(a.activations[hooks.residPost(1)].data).toEqual(b.activations[hooks.residPost(1)].data);
      expect(Array.from(a.prob)).toEqual(Array.from(b.prob));
      // The plain model's MLP is read, and its width is the MLP's, not the stream's.
      expect(b.activations[hooks.mlpPost(0)].shape).toEqual([b.tokens.length, 64]);
    } finally {
      await Promise.all([plain.release(), einsum.release()]);
    }
  });

  it('computes one layer’s attention in a way the engine does not recognise: that layer says so, and the layers stay apart', async () => {
    const model = decodeModel(buildDecoder({ attention: 'unfused' }));
    // Layer 1's Softmax as Exp(LogSoftmax(x)): the same numbers, no Softmax node to find.
    const softmax = model.graph.node.filter((n) => n.opType === 'Softmax')[1];
    const log = `${softmax.output[0]}_log`;
    model.graph.node.splice(
      model.graph.node.indexOf(softmax),
      1,
      makeNode('LogSoftmax', softmax.input, [log], { axis: -1 }),
      makeNode('Exp', [log], softmax.output),
    );
    const plain = await LoadedModel.load(writeModelFolder('softmax-attn', buildDecoder({ attention: 'unfused' })), OPTIONS);
    const unknown = await LoadedModel.load(writeModelFolder('logsoftmax-attn', encodeModel(model)), OPTIONS);
    try {
      expect(unknown.info.layers).toBe(2);
      expect(unknown.info.layerInfo.map((l) => l.attention.kind)).toEqual(['softmax', 'unavailable']);
      const options = { hooks: [...hookGroups.attention, ...hookGroups.activations] };
      const a = await unknown.analyze('the cat', options);
      const b = await plain.analyze('the cat', options);
      // Exp(LogSoftmax) rounds a little differently from Softmax: equal to float32 precision.
      const close = (x: ArrayLike<number>, y: ArrayLike<number>) => {
        expect(x.length).toBe(y.length);
        for (let i = 0; i < x.length; i++)
          if (!(Number.isNaN(x[i]) && Number.isNaN(y[i]))) expect(Math.abs(x[i] - y[i])).toBeLessThan(1e-5 * (1 + Math.abs(y[i])));
      };
      close(a.prob, b.prob);
      // Every hook that is reported is the plain model's, under the same name: nothing shifted a layer.
      for (const hook of [hooks.residPost(0), hooks.residPost(1), hooks.mlpPost(0), hooks.mlpPost(1), hooks.attn(0, 'pattern')])
        close(a.activations[hook].data, b.activations[hook].data);
      expect(a.activations[hooks.attn(1, 'pattern')]).toBeUndefined();
    } finally {
      await Promise.all([plain.release(), unknown.release()]);
    }
  });

  it('has no tokenizer', async () => {
    const folder = writeModelFolder('no-tokenizer', buildDecoder({ attention: 'unfused' }));
    fs.rmSync(path.join(folder, 'tokenizer.json'));
    const e = await loadError(folder);
    expect(e.code).toBe('no-tokenizer');
    expect(e.file).toBe(folder);
    expect(e.userMessage).toContain('tokenizer.json');
  });

  it('has a tokenizer.json that is not JSON', async () => {
    const folder = writeModelFolder('bad-tokenizer', buildDecoder({ attention: 'unfused' }), { 'tokenizer.json': '{"model": ' });
    const e = await loadError(folder);
    expect(e.code).toBe('bad-tokenizer');
    expect(e.file).toBe(path.join(folder, 'tokenizer.json'));
  });

  it('keeps its weights in an external data file that is missing', async () => {
    const { onnx } = withExternalData(buildDecoder({ attention: 'unfused' }), 'model.onnx.data');
    const folder = writeModelFolder('missing-data', onnx);
    const e = await loadError(folder);
    expect(e.code).toBe('damaged-model');
    expect(e.userMessage).toContain('model.onnx.data, which is missing');
  });

  it('is larger than the size limit, and is refused before it is read', async () => {
    const folder = writeModelFolder('large', buildDecoder({ attention: 'unfused' }));
    const e = await loadError(folder, { ...OPTIONS, maxModelBytes: 1000 } as typeof OPTIONS);
    expect(e.code).toBe('too-large');
    expect(e.userMessage).toContain('modelLens.maxModelSizeMB');
  });

  it('does not exist', async () => {
    const e = await loadError('/nonexistent/model/folder');
    expect(e.code).toBe('model-not-found');
    expect(e.userMessage).toContain('/nonexistent/model/folder');
  });
});

describe('input a model cannot take', () => {
  it('has a token id beyond the embedding table', async () => {
    // The tokenizer knows 62 characters; this model embeds only 32 of them.
    const model = await LoadedModel.load(writeModelFolder('small-vocab', buildDecoder({ attention: 'unfused', vocab: 32 })), OPTIONS);
    const e = await model.analyze('abcXYZ').catch((error: ModelLensError) => error);
    expect(e).toBeInstanceOf(ModelLensError);
    expect((e as ModelLensError).code).toBe('token-out-of-range');
    expect((e as ModelLensError).userMessage).toMatch(/"X" has id \d+, but the model's embedding table has only 32 rows/);
    // The model keeps working for text it can take.
    expect((await model.analyze('abc')).tokens).toHaveLength(3);
  });

  it('is longer than the model window: the last tokens are kept and the cut is reported', async () => {
    const model = await LoadedModel.load(writeModelFolder('window', buildDecoder({ attention: 'unfused', positions: 64 })), OPTIONS);
    expect(model.info.positions).toBe(64);
    const text = 'abcdefghij'.repeat(10);
    const a = await model.analyze(text);
    expect(a.tokens).toHaveLength(64);
    expect(a.droppedChars).toBe(36);
    expect(a.tokens[0].start).toBe(36);
    expect(a.tokens[63].end).toBe(100);
  });

  it.skipIf(!exists(TINY_GPT2))('uses a tokenizer larger than the model (shared fixture)', async () => {
    const model = await LoadedModel.load(TINY_GPT2, OPTIONS);
    const e = await model.analyze('Hello world').catch((error: ModelLensError) => error);
    expect((e as ModelLensError).code).toBe('token-out-of-range');
    expect((e as ModelLensError).hint).toContain("model's own tokenizer.json");
  });
});

describe('external data', () => {
  // Weights of a few kilobytes at the start of a 5 GB external data file: a sparse file, so the test
  // writes no gigabytes, while every size the engine checks is the real file's.
  function hugeModel(): string {
    const { onnx, data } = withExternalData(buildDecoder({ attention: 'unfused' }), 'model.onnx_data');
    const folder = writeModelFolder('huge', onnx);
    const file = path.join(folder, 'onnx', 'model.onnx_data');
    fs.writeFileSync(file, data);
    fs.truncateSync(file, 5 * 1024 ** 3);
    return folder;
  }

  it('refuses a model larger than a WebAssembly heap before reading it, and names the native backend', async () => {
    const e = await loadError(hugeModel());
    expect(e.code).toBe('too-large');
    expect(e.userMessage).toContain('5.0 GB');
    expect(e.userMessage).toContain('WebAssembly');
    expect(e.hint).toContain('modelLens.backend');
  });

  it.runIf((BACKENDS as readonly string[]).includes('native'))('loads it on the native backend without reading its external data into JavaScript', async () => {
    const before = process.memoryUsage().rss;
    const model = await LoadedModel.load(hugeModel(), { backend: 'native', threads: 1 });
    const a = await model.analyze('the cat', { hooks: hookGroups.attention });
    expect(a.activations['blocks.1.attn.hook_pattern'].shape).toEqual([4, 7, 7]);
    // Copying the file into memory would take 5 GB; the weights themselves are kilobytes.
    expect(process.memoryUsage().rss - before).toBeLessThan(1024 ** 3);
    await model.release();
  });

  it('loads a model whose weights live in model.onnx.data beside it', async () => {
    const { onnx, data } = withExternalData(buildDecoder({ attention: 'unfused' }), 'model.onnx.data');
    const folder = writeModelFolder('external', onnx);
    fs.writeFileSync(path.join(folder, 'onnx', 'model.onnx.data'), data);
    const model = await LoadedModel.load(folder, OPTIONS);
    const a = await model.analyze('the cat', { hooks: hookGroups.attention });
    expect(a.activations['blocks.1.attn.hook_pattern'].shape).toEqual([4, 7, 7]);
  });
});
