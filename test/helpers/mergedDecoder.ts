// Merged decoders as Optimum writes them (decoder_model_merged.onnx, which transformers.js folders
// often ship alone): one If on a boolean `use_cache_branch` input, whose branches are the decoder
// with a KV cache and without one, both reading the weights from the outer graph.
import { makeNode } from '../../src/engine/onnx/emit';
import { copyAttribute, DataType, decodeModel, encodeModel, fromValueInfo, type NodeProto } from '../../src/engine/onnx/model';

export const CACHE_INPUT = 'past_key_values.0.key';

/**
 * A decoder without a cache merged as Optimum merges one: the else branch is the decoder; the then
 * branch is the decoder too, plus a read of a cache input, and it doubles the logits, so that
 * running it instead shows in every number. With `ownNames` the branches name their values
 * themselves (the If's outputs are then other names, as some exporters write them); without, the
 * no-cache branch keeps the decoder's names, the If's outputs included, as Optimum does.
 */
export function mergeDecoder(onnx: Uint8Array, ownNames = false): Uint8Array {
  const model = decodeModel(onnx);
  const g = model.graph;
  const outer = new Set([...g.initializer.map((t) => t.name), ...g.input.map((i) => i.name)]);
  const branchNodes = (suffix: string): NodeProto[] => {
    const rename = (name: string) => (!name || outer.has(name) ? name : `${name}${suffix}`);
    return g.node.map((n) => ({
      ...n,
      name: `${n.name}${suffix}`,
      input: n.input.map(rename),
      output: n.output.map(rename),
      attribute: n.attribute.map(copyAttribute),
    }));
  };
  const [logits] = g.output;
  const noCache = {
    name: 'no_cache',
    node: branchNodes(ownNames ? '_no_cache' : ''),
    output: [fromValueInfo({ ...logits, name: `${logits.name}${ownNames ? '_no_cache' : ''}` })],
  };
  const cached = branchNodes('_cache');
  cached.push(
    makeNode('ReduceSum', [CACHE_INPUT], ['cache_sum'], { keepdims: 0 }),
    makeNode('Mul', [`${logits.name}_cache`, 'two'], ['doubled_cache']),
    makeNode('Add', ['doubled_cache', 'cache_sum'], ['logits_with_cache']),
  );
  const withCache = { name: 'with_cache', node: cached, output: [fromValueInfo({ ...logits, name: 'logits_with_cache' })] };
  const two = { name: 'two', dims: [], dataType: logits.elemType ?? DataType.FLOAT, rawData: new Uint8Array(new Float32Array([2]).buffer) };
  if (two.dataType !== DataType.FLOAT) throw new Error('mergeDecoder builds float32 decoders only');
  return encodeModel({
    ...model,
    graph: {
      ...g,
      name: 'merged',
      node: [makeNode('If', ['use_cache_branch'], [logits.name], { then_branch: { graph: withCache }, else_branch: { graph: noCache } })],
      initializer: [...g.initializer, two],
      input: [
        ...g.input,
        { name: CACHE_INPUT, elemType: DataType.FLOAT, shape: ['batch', 2, 'past_sequence_length', 8] },
        { name: 'use_cache_branch', elemType: DataType.BOOL, shape: [1] },
      ],
      valueInfo: [],
    },
  });
}
