// Renaming node outputs in place: same length, nothing else in the file moves, and undone exactly.
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/engine/onnx/model';
import { renameOutputsInPlace, sameLengthName } from '../../src/engine/onnx/renameOutputs';
import { buildDecoder } from '../helpers/decoderBuilder';

describe('sameLengthName', () => {
  it('gives a free name of the same length in UTF-8, also next to non-ASCII characters', () => {
    const taken = new Set(['t/Add_1', 't/Add_0', 't/Add_2']);
    for (const name of ['t/Add_1', 'x', 'é/ü_1']) {
      const twin = sameLengthName(name, (n) => taken.has(n) || n === name)!;
      expect(twin).not.toBe(name);
      expect(taken.has(twin)).toBe(false);
      expect(new TextEncoder().encode(twin).length).toBe(new TextEncoder().encode(name).length);
    }
  });

  it('replaces two characters when every single replacement is taken, and gives up on a name with no ASCII', () => {
    expect(sameLengthName('a', (n) => n.length === 1)).toBeUndefined();
    expect(sameLengthName('ab', (n) => !(n[0] !== 'a' && n[1] !== 'b'))).toMatch(/^[^a][^b]$/);
    expect(sameLengthName('éü', () => false)).toBeUndefined();
  });
});

describe('renameOutputsInPlace', () => {
  // A copy: protobufjs gives a Buffer, whose slice() would share its memory.
  const model = new Uint8Array(buildDecoder({ attention: 'unfused' }));
  const node = decodeModel(model).graph.node.find((n) => n.opType === 'Add')!;
  const name = node.output[0];
  const twin = sameLengthName(name, (n) => n === name)!;

  it("renames a node's output and nothing else, and puts it back", () => {
    const bytes = new Uint8Array(model);
    const { undo } = renameOutputsInPlace([bytes], new Map([[name, twin]]));
    expect(bytes.length).toBe(model.length);
    const renamed = decodeModel(bytes).graph.node;
    expect(renamed.find((n) => n.name === node.name)!.output[0]).toBe(twin);
    // Its readers still read the old name: whatever the caller adds under it is what they get.
    expect(renamed.some((n) => n.input.includes(name))).toBe(true);
    const changed = bytes.reduce((count, b, i) => count + (b !== model[i] ? 1 : 0), 0);
    expect(changed).toBeGreaterThan(0);
    expect(changed).toBeLessThanOrEqual(new TextEncoder().encode(name).length);
    undo();
    expect(Buffer.from(bytes).equals(Buffer.from(model))).toBe(true);
  });

  it('refuses a name that no node outputs, leaving the bytes as they were', () => {
    const bytes = new Uint8Array(model);
    expect(() =>
      renameOutputsInPlace(
        [bytes],
        new Map([
          [name, twin],
          ['input_ids', 'input_idz'],
        ]),
      ),
    ).toThrow(/not node outputs/);
    expect(Buffer.from(bytes).equals(Buffer.from(model))).toBe(true);
  });
});
