// What Download Model… offers from a repository's file list (as the Hub lists the real layouts),
// which files each choice downloads and where they go, and how the endpoint and a repository id
// are read.
import { describe, expect, it } from 'vitest';
import { hubEndpoint, parseRepoId, type HubFile } from '../../src/host/hub/hubClient';
import { HubError } from '../../src/host/hub/hubError';
import { localPath, modelVariants, safeRepoPath, whyNoVariant } from '../../src/host/hub/modelChoice';
import { effectiveValue, isRestricted } from '../../src/host/settingsSchema';

const MB = 1_000_000;
const file = (path: string, size = 1000): HubFile => ({ path, size, sha256: 'a'.repeat(64) });

/** A transformers.js repository as onnx-community publishes them. */
const TRANSFORMERS_JS = [
  file('.gitattributes'),
  file('README.md'),
  file('config.json'),
  file('generation_config.json'),
  file('tokenizer.json', 7 * MB),
  file('tokenizer_config.json'),
  file('onnx/model.onnx', 1 * MB),
  file('onnx/model.onnx_data', 1980 * MB),
  file('onnx/model_fp16.onnx', 990 * MB),
  file('onnx/model_q4.onnx', 480 * MB),
  file('onnx/model_quantized.onnx', 500 * MB),
];

describe('modelVariants', () => {
  it('offers every precision of a transformers.js repository, full precision with its external data first', () => {
    const variants = modelVariants(TRANSFORMERS_JS);
    expect(variants.map((v) => [v.id, v.precision])).toEqual([
      ['model', 'full'],
      ['model_fp16', 'fp16'],
      ['model_q4', 'quantized'],
      ['model_quantized', 'quantized'],
    ]);
    expect(variants[0].files.map((f) => f.path)).toEqual(['tokenizer.json', 'tokenizer_config.json', 'config.json', 'onnx/model.onnx', 'onnx/model.onnx_data']);
    expect(variants[0].bytes).toBe(1 * MB + 1980 * MB + 7 * MB + 2000);
    // model_fp16.onnx does not take model.onnx's external data.
    expect(variants[1].files.map((f) => f.path)).not.toContain('onnx/model.onnx_data');
  });

  it('prefers plain decoders to merged ones of the same precision, and offers a merged one that stands alone', () => {
    const variants = modelVariants([
      file('tokenizer.json'),
      file('onnx/decoder_model.onnx'),
      file('onnx/decoder_model_merged.onnx'),
      file('onnx/decoder_with_past_model.onnx'),
      file('onnx/decoder_model_merged_quantized.onnx'),
    ]);
    expect(variants.map((v) => v.onnx)).toEqual(['onnx/decoder_model.onnx', 'onnx/decoder_model_merged_quantized.onnx']);
  });

  it('offers each onnxruntime-genai folder with its own files, and saves them at the top of the model folder', () => {
    const base = 'cpu_and_mobile/cpu-int4-rtn-block-32';
    const variants = modelVariants([
      file('README.md'),
      file(`${base}/genai_config.json`),
      file(`${base}/phi3-mini-4k-instruct-cpu-int4-rtn-block-32.onnx`, 200),
      file(`${base}/phi3-mini-4k-instruct-cpu-int4-rtn-block-32.onnx.data`, 2700 * MB),
      file(`${base}/tokenizer.json`),
      file(`${base}/special_tokens_map.json`),
      file('cuda/cuda-fp16/genai_config.json'),
      file('cuda/cuda-fp16/phi3-mini-4k-instruct-cuda-fp16.onnx'),
      file('cuda/cuda-fp16/phi3-mini-4k-instruct-cuda-fp16.onnx.data'),
      file('cuda/cuda-fp16/tokenizer.json'),
    ]);
    expect(variants.map((v) => [v.id, v.layout, v.precision])).toEqual([
      ['cuda-cuda-fp16', 'genai', 'fp16'],
      ['cpu_and_mobile-cpu-int4-rtn-block-32', 'genai', 'quantized'],
    ]);
    const cpu = variants[1];
    expect(cpu.files.map((f) => localPath(cpu, f))).toEqual([
      'genai_config.json',
      'tokenizer.json',
      'special_tokens_map.json',
      'phi3-mini-4k-instruct-cpu-int4-rtn-block-32.onnx',
      'phi3-mini-4k-instruct-cpu-int4-rtn-block-32.onnx.data',
    ]);
  });

  it('a genai folder without its own tokenizer takes the one at the top', () => {
    const [variant] = modelVariants([file('tokenizer.json'), file('tokenizer_config.json'), file('cpu/genai_config.json'), file('cpu/model.onnx')]);
    expect(variant.files.map((f) => [f.path, localPath(variant, f)])).toEqual([
      ['cpu/genai_config.json', 'genai_config.json'],
      ['tokenizer.json', 'tokenizer.json'],
      ['tokenizer_config.json', 'tokenizer_config.json'],
      ['cpu/model.onnx', 'model.onnx'],
    ]);
  });

  it('offers nothing without a tokenizer.json, and says which is missing', () => {
    expect(modelVariants([file('onnx/model.onnx')])).toEqual([]);
    expect(whyNoVariant([file('onnx/model.onnx')])).toBe('no-tokenizer');
    expect(whyNoVariant([file('tokenizer.json'), file('model.safetensors')])).toBe('no-onnx');
  });

  it('ignores files whose paths could leave the model folder', () => {
    for (const bad of ['../x.onnx', 'onnx/../../x.onnx', '/etc/x.onnx', 'C:/x.onnx', 'onnx\\x.onnx', 'onnx//x.onnx', './x.onnx'])
      expect(safeRepoPath(bad), bad).toBe(false);
    expect(safeRepoPath('onnx/model_q4f16.onnx')).toBe(true);
    const variants = modelVariants([file('tokenizer.json'), file('onnx/model.onnx'), file('onnx/model.onnx_data/../../../evil'), file('../model.onnx')]);
    expect(variants.flatMap((v) => v.files.map((f) => f.path))).toEqual(['tokenizer.json', 'onnx/model.onnx']);
  });
});

describe('hubEndpoint', () => {
  it('takes the setting, else HF_ENDPOINT, else huggingface.co', () => {
    expect(hubEndpoint('', {})).toMatchObject({ endpoint: 'https://huggingface.co', source: 'default' });
    expect(hubEndpoint('', { HF_ENDPOINT: 'https://hf-mirror.com/' })).toMatchObject({ endpoint: 'https://hf-mirror.com', source: 'HF_ENDPOINT' });
    expect(hubEndpoint(' http://127.0.0.1:8080/hub/ ', { HF_ENDPOINT: 'https://hf-mirror.com' })).toMatchObject({
      endpoint: 'http://127.0.0.1:8080/hub',
      origin: 'http://127.0.0.1:8080',
      source: 'modelLens.hub.endpoint',
    });
  });

  it('refuses what is not an http(s) URL, and credentials in it', () => {
    for (const [value, says] of [
      ['hf-mirror.com', 'is not a URL'],
      ['file:///tmp/hub', 'http or https'],
      ['https://user:secret@hf.example', 'user name or password'],
    ]) {
      let error: unknown;
      try {
        hubEndpoint(value, {});
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(HubError);
      expect((error as HubError).message).toContain(says);
      expect((error as HubError).message).not.toContain('secret');
    }
  });
});

describe('modelLens.hub.endpoint', () => {
  it('is ignored from an untrusted workspace: it would choose where the model comes from', () => {
    expect(isRestricted('hub.endpoint')).toBe(true);
    const hostile = { defaultValue: '', workspaceValue: 'http://attacker.example' };
    expect(effectiveValue('hub.endpoint', hostile, false)).toBe('');
    expect(effectiveValue('hub.endpoint', { ...hostile, globalValue: 'https://hf-mirror.com' }, false)).toBe('https://hf-mirror.com');
    expect(effectiveValue('hub.endpoint', hostile, true)).toBe('http://attacker.example');
  });
});

describe('parseRepoId', () => {
  it('reads an id, an id with a revision, and a model page address', () => {
    expect(parseRepoId('onnx-community/Qwen2.5-0.5B-Instruct')).toEqual({ repo: 'onnx-community/Qwen2.5-0.5B-Instruct', revision: 'main' });
    expect(parseRepoId(' Xenova/gpt2@v1.0 ')).toEqual({ repo: 'Xenova/gpt2', revision: 'v1.0' });
    expect(parseRepoId('https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct')).toEqual({
      repo: 'HuggingFaceTB/SmolLM2-135M-Instruct',
      revision: 'main',
    });
    expect(parseRepoId('https://huggingface.co/microsoft/Phi-3-mini-4k-instruct-onnx/tree/refs%2Fpr%2F3')).toEqual({
      repo: 'microsoft/Phi-3-mini-4k-instruct-onnx',
      revision: 'refs/pr/3',
    });
  });

  it('refuses what is not a repository', () => {
    for (const bad of ['gpt2', 'a/b/c', '../etc', 'a/..', 'org/na me', 'org/name@', 'org/-x--y', 'org/name@../x', ''])
      expect(parseRepoId(bad), bad).toBeUndefined();
  });
});
