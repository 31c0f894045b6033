// What the block hooks add to the graph beyond the model's own tensors: everything that needs
// nodes is built in the then-branch of one If on "were the block hooks asked for", so an analysis
// without them runs none of it (blockHooks.ts, rotary.ts).
import { DataType, type ValueInfo } from '../onnx/model';
import type { GraphIndex } from '../onnx/graph';
import type { Exposer } from './exposer';
import type { Exposure } from './plan';

/** Graph input (int64 [n]): fed non-empty, the block hooks' computations run. */
export const BLOCK_HOOKS_INPUT = 'modellens_block_hooks';

/** Tensors to expose that need nodes: built in the If's then-branch, all together. */
export class Deferred {
  private readonly items: { build: () => string; type: DataType; exposure: Exposure }[] = [];

  constructor(
    private readonly index: GraphIndex,
    private readonly exposer: Exposer,
  ) {}

  /** A model tensor: exposed as it is when float32, else cast in the branch. */
  model(name: string): Exposure {
    const type = this.index.elemType(name) ?? DataType.FLOAT;
    return type === DataType.FLOAT ? this.exposer.expose(name) : this.computed(() => name, type);
  }

  /** A tensor `build` emits (of type `type`), exposed once the If exists. */
  computed(build: () => string, type: DataType): Exposure {
    const exposure: Exposure = { tensor: '', output: '' };
    this.items.push({ build, type, exposure });
    return exposure;
  }

  /** Emits the If; returns its input, or nothing when no tensor needed a node. */
  finish(): ValueInfo | undefined {
    if (this.items.length === 0) return undefined;
    const em = this.exposer.em;
    const run = em.graph(() =>
      this.items.map(({ build, type }) => {
        const t = build();
        return { name: type === DataType.FLOAT ? em.op1('Identity', [t]) : em.cast(t, DataType.FLOAT), elemType: DataType.FLOAT };
      }),
    );
    // Not asked for: every output empty, [0, 1, 1], made from the empty input.
    const skip = em.graph(() =>
      this.items.map(() => ({ name: em.reshape(em.cast(BLOCK_HOOKS_INPUT, DataType.FLOAT), em.ints([0, 1, 1])), elemType: DataType.FLOAT })),
    );
    const asked = em.op1('Greater', [em.op1('Size', [BLOCK_HOOKS_INPUT]), em.constant(DataType.INT64, [], [0])]);
    const outputs = em.op('If', [asked], { then_branch: run, else_branch: skip }, this.items.length);
    outputs.forEach((name, i) => {
      this.exposer.outputs.push({ name, elemType: DataType.FLOAT });
      Object.assign(this.items[i].exposure, { tensor: name, output: name });
    });
    return { name: BLOCK_HOOKS_INPUT, elemType: DataType.INT64, shape: ['block_hooks'] };
  }
}

/** Thrown where a hook cannot be found faithfully: its message says why, in the note the user reads. */
export class Unavailable extends Error {}
