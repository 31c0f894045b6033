// Turns tensors inside the graph into graph outputs the worker can fetch, always as float32
// (an fp16 model's tensors get a Cast), each exposed once however often it is asked for.
import type { GraphIndex } from '../onnx/graph';
import { DataType, type ValueInfo } from '../onnx/model';
import type { Emitter } from '../onnx/emit';
import type { Exposure, TensorLayout } from './plan';

export class Exposer {
  readonly outputs: ValueInfo[] = [];
  private readonly exposed = new Map<string, string>();
  private readonly existingOutputs: Set<string>;

  constructor(
    private readonly index: GraphIndex,
    readonly em: Emitter,
  ) {
    this.existingOutputs = new Set(index.outputs.map((o) => o.name));
  }

  /**
   * Exposes a tensor. `type` is needed for tensors the engine itself adds to the graph; for the
   * model's own tensors it is inferred.
   */
  expose(name: string, layout?: TensorLayout, heads?: number, type?: DataType): Exposure {
    let output = this.exposed.get(name);
    if (!output) {
      const elemType = type ?? this.index.elemType(name) ?? DataType.FLOAT;
      output = elemType === DataType.FLOAT ? name : this.em.cast(name, DataType.FLOAT);
      if (!this.existingOutputs.has(output)) this.outputs.push({ name: output, elemType: DataType.FLOAT });
      this.exposed.set(name, output);
    }
    return { tensor: name, output, ...(layout ? { layout } : {}), ...(heads ? { heads } : {}) };
  }
}
