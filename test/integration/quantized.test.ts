// Quantized exports: int8 weights behind DequantizeLinear (QDQ) and 4-bit MatMulNBits. The same
// rounded weights stored in float are the independent reference: the residual stream, MLP
// activations, logits and logit lens the engine reports on a quantized model must equal that
// model's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadedModel } from '../../src/engine/loadedModel';
import type { Analysis, AnalyzeOptions, TensorData } from '../../src/engine/types';
import { hookGroups } from '../../src/shared/hooks';
import { buildDecoder, type DecoderOptions } from '../helpers/decoderBuilder';
import { expectLensEqualsLogits } from '../helpers/identities';
import { writeModelFolder } from '../helpers/modelFolder';
import { BACKENDS } from '../helpers/backends';

const TEXT = 'the cat sat on the mat. the cat sat';
const CASES = BACKENDS.flatMap((backend) => (['qdq', 'nbits'] as const).map((quantize) => ({ quantize, backend })));
const ALL: AnalyzeOptions = { hooks: [...hookGroups.attention, ...hookGroups.activations], lens: true, logits: true };

async function analyse(options: DecoderOptions, backend: 'wasm' | 'native'): Promise<{ model: LoadedModel; analysis: Analysis }> {
  const model = await LoadedModel.load(writeModelFolder(`quantized-${options.quantize}`, buildDecoder(options)), { backend, threads: 1 });
  return { model, analysis: await model.analyze(TEXT, ALL) };
}

function maxDifference(a: TensorData, b: TensorData): number {
  expect(a.shape).toEqual(b.shape);
  let max = 0;
  for (let i = 0; i < a.data.length; i++) max = Math.max(max, Math.abs(a.data[i] - b.data[i]));
  return max;
}

describe.each(CASES)('$quantize weights on $backend', ({ quantize, backend }) => {
  let quantized: { model: LoadedModel; analysis: Analysis };
  let reference: { model: LoadedModel; analysis: Analysis };
  beforeAll(async () => {
    quantized = await analyse({ attention: 'unfused', quantize }, backend);
    reference = await analyse({ attention: 'unfused', quantize, dequantized: true }, backend);
  });
  afterAll(async () => {
    await quantized.model.release();
    await reference.model.release();
  });

  it('finds the residual stream, the MLP and the shape of the model', () => {
    expect(quantized.model.info.notes.join(' ')).not.toContain('residual stream could not be traced');
    for (const key of ['dModel', 'dMlp', 'heads'] as const) expect(quantized.model.info[key]).toBe(reference.model.info[key]);
    expect(quantized.model.info.dMlp).toBeGreaterThan(0);
  });

  it('reports the activations and logits of the same weights in float', () => {
    const names = Object.keys(reference.analysis.activations);
    expect(names.filter((n) => n.endsWith('mlp.hook_post'))).toHaveLength(2);
    for (const name of names) expect(maxDifference(quantized.analysis.activations[name], reference.analysis.activations[name]), name).toBeLessThan(1e-4);
    expect(maxDifference(quantized.analysis.logits!, reference.analysis.logits!)).toBeLessThan(1e-4);
  });

  it(
    quantize === 'qdq' ? 'attributes the logit difference to the parts, which add up to it' : 'says why it cannot attribute through a 4-bit unembedding',
    async () => {
      if (quantize === 'nbits') {
        expect(quantized.model.info.notes.join(' ')).toContain('quantized to 4 bits (MatMulNBits)');
        return;
      }
      const at = (await quantized.model.analyze(TEXT, { attribution: { position: 5 } })).attribution!;
      expect(Math.abs(at.sum - at.measured)).toBeLessThan(1e-4 * Math.max(1, Math.abs(at.measured)));
      expect(at.parts.filter((p) => p.kind === 'head')).toHaveLength(2 * quantized.model.info.heads);
    },
  );

  it('replays its quantized head in the logit lens, ending at the logits', () => {
    expectLensEqualsLogits(quantized.analysis);
    const [a, b] = [quantized.analysis.lens!, reference.analysis.lens!];
    for (let i = 0; i < a.probs.length; i++) expect(Math.abs(a.probs[i] - b.probs[i])).toBeLessThan(1e-4);
  });
});
