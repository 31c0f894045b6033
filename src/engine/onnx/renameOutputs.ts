// Renames node outputs of a model in place, on protobuf's wire format, to names of the same
// length in bytes: nothing moves, so offsets into the file (where the weights are read from, see
// externalWeights.ts) still hold, and no copy of the model is made. The engine uses it to put a
// node of its own between a tensor and everything that reads it (see instrument/interventions.ts).
import { fields, GRAPH_NODE, MODEL_GRAPH, NODE_OUTPUT } from './wire';

/** Characters a twin name may use in place of one of the original's (one byte each in UTF-8). */
const SUBSTITUTES = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_';

/**
 * A name as long as `name` in UTF-8 that `taken` says is free: one ASCII character replaced, from
 * the end (or two, for the rare graph where every single replacement is taken).
 */
export function sameLengthName(name: string, taken: (candidate: string) => boolean): string | undefined {
  const ascii = Array.from({ length: name.length }, (_, i) => i)
    .filter((i) => name.charCodeAt(i) < 0x80)
    .reverse();
  const variants = function* (from: string, depth: number): Generator<string> {
    for (const i of ascii) {
      for (const c of SUBSTITUTES) {
        if (c === from[i]) continue;
        const candidate = from.slice(0, i) + c + from.slice(i + 1);
        if (depth === 1) yield candidate;
        else yield* variants(candidate, depth - 1);
      }
    }
  };
  for (const depth of [1, 2]) for (const candidate of variants(name, depth)) if (!taken(candidate)) return candidate;
  return undefined;
}

/**
 * Renames, in the models' own bytes, every node output of their top-level graphs named by a key
 * of `renames` to its value (of the same length in bytes). A model may come in parts that ONNX
 * Runtime reads one after the other (a file and what is appended to it). Returns how to put the
 * old names back. Throws if a name to rename is not a node output.
 */
export function renameOutputsInPlace(models: readonly Uint8Array[], renames: ReadonlyMap<string, string>): { undo(): void } {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const wanted = new Map([...renames].map(([from, to]) => [from, encoder.encode(to)]));
  const done: { at: Uint8Array; old: Uint8Array }[] = [];
  const found = new Set<string>();
  for (const field of models.flatMap((model) => fields(model))) {
    if (field.number !== MODEL_GRAPH || !field.body) continue;
    for (const node of fields(field.body)) {
      if (node.number !== GRAPH_NODE || !node.body) continue;
      for (const output of fields(node.body)) {
        if (output.number !== NODE_OUTPUT || !output.body) continue;
        const name = decoder.decode(output.body);
        const to = wanted.get(name);
        if (!to) continue;
        if (to.length !== output.body.length) throw new Error(`a twin name must be as long as ${name}`);
        found.add(name);
        done.push({ at: output.body, old: output.body.slice() });
        output.body.set(to);
      }
    }
  }
  if (found.size !== wanted.size) {
    done.forEach(({ at, old }) => at.set(old));
    throw new Error(`${wanted.size - found.size} of the tensors to rename are not node outputs of the model's graph`);
  }
  return { undo: () => done.forEach(({ at, old }) => at.set(old)) };
}
