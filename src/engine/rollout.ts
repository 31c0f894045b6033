// Attention rollout (Abnar & Zuidema, 2020) as a small ONNX graph run next to the model: each
// layer's head-mean pattern mixed half-and-half with the identity (the residual connection),
// rows renormalised, multiplied through the layers. The product of L matrices of size S × S is
// work for ONNX Runtime's MatMul, not for a JavaScript loop.
import { Emitter } from './onnx/emit';
import { DataType, encodeModel } from './onnx/model';
import type { Runner } from './runner';
import type { TensorData } from './types';

const INPUT = 'patterns';
const OUTPUT = 'rollout';

/** The graph for `layers` layers: patterns [layer, head, query, key] → rollout [layer, query, key]. */
export function rolloutModel(layers: number): Uint8Array {
  const em = new Emitter(17, '');
  const mean = em.reduce('ReduceMean', INPUT, [1], 0); // [layer, S, S]
  const identity = em.op1('EyeLike', [em.op1('Gather', [mean, em.scalar(0, DataType.INT64)], { axis: 0 })]); // [S, S]
  const half = em.scalar(0.5);
  const mixed = em.op1('Add', [em.op1('Mul', [mean, half]), em.op1('Mul', [identity, half])]);
  const normalised = em.op1('Div', [mixed, em.reduce('ReduceSum', mixed, [-1])]);
  const perLayer = em.split(normalised, 0, Array(layers).fill(1)).map((x) => em.squeeze(x, [0])); // [S, S] each
  const rolled = [perLayer[0]];
  for (let l = 1; l < layers; l++) rolled.push(em.op1('MatMul', [perLayer[l], rolled[l - 1]]));
  const stacked = rolled.map((r) => em.unsqueeze(r, [0]));
  em.nodes.push({ opType: 'Concat', input: stacked, output: [OUTPUT], name: OUTPUT, domain: '', attribute: [{ name: 'axis', type: 2, i: 0 }] });
  return encodeModel({
    irVersion: 8,
    producerName: 'model-lens',
    producerVersion: '',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'attention-rollout',
      node: em.nodes,
      initializer: em.initializers,
      input: [{ name: INPUT, elemType: DataType.FLOAT, shape: [layers, 'heads', 'query', 'key'] }],
      output: [{ name: OUTPUT, elemType: DataType.FLOAT, shape: [layers, 'query', 'key'] }],
      valueInfo: [],
    },
  });
}

/** Runs the rollout of same-shaped per-layer patterns [head, S, S]. */
export async function rollout(runner: Runner, patterns: TensorData[]): Promise<TensorData> {
  const [heads, s] = patterns[0].shape;
  const stacked = new Float32Array(patterns.length * heads * s * s);
  patterns.forEach((p, l) => stacked.set(p.data, l * heads * s * s));
  const out = await runner.run({ [INPUT]: { type: 'float32', dims: [patterns.length, heads, s, s], data: stacked } }, [OUTPUT]);
  return { shape: [patterns.length, s, s], data: out[OUTPUT].data as Float32Array };
}
