// A model's large initializers handed to ONNX Runtime as external data that points back into the
// model's own bytes. Given one buffer, ONNX Runtime WebAssembly copies it into its heap, parses it
// there (a second copy of every weight) and builds the session's tensors from that (a third), and
// a WebAssembly heap never shrinks. Given a graph without weights plus external data, it copies
// each weight once, from the external data straight into its tensor (see fileBytes.ts for
// external data that is read from disk as it is copied).
//
// The rewrite works on protobuf's wire format (wire.ts): nothing the engine's schema does not know
// (functions, metadata, sparse tensors) is lost.
import { Writer } from 'protobufjs/light';
import {
  concat,
  delimited,
  ENTRY_KEY,
  ENTRY_VALUE,
  fields,
  GRAPH_INITIALIZER,
  LENGTH_DELIMITED,
  MODEL_GRAPH,
  TENSOR_DATA_LOCATION,
  TENSOR_EXTERNAL_DATA,
  TENSOR_RAW_DATA,
  tag,
  VARINT,
} from './wire';

/** TensorProto.DataLocation EXTERNAL. */
const DATA_LOCATION_EXTERNAL = 1;

/** Smaller initializers stay inline: they are the shape constants graph optimisation reads. */
export const MIN_EXTERNAL_BYTES = 1024;

function entry(key: string, value: string): Uint8Array[] {
  const body = Writer.create().uint32(tag(ENTRY_KEY, LENGTH_DELIMITED)).string(key).uint32(tag(ENTRY_VALUE, LENGTH_DELIMITED)).string(value).finish();
  return delimited(TENSOR_EXTERNAL_DATA, [body]);
}

/** The tensor with its raw data replaced by a reference into `file`, or undefined to keep it as it is. */
function externalTensor(tensor: Uint8Array, file: Uint8Array, location: string): { tensor: Uint8Array[]; bytes: number } | undefined {
  const parts = fields(tensor);
  const raw = parts.filter((f) => f.number === TENSOR_RAW_DATA);
  if (raw.length !== 1 || raw[0].body!.length < MIN_EXTERNAL_BYTES || parts.some((f) => f.number === TENSOR_EXTERNAL_DATA)) return undefined;
  const offset = raw[0].body!.byteOffset - file.byteOffset;
  const bytes = raw[0].body!.length;
  const rewritten = [
    ...parts.filter((f) => f.number !== TENSOR_RAW_DATA && f.number !== TENSOR_DATA_LOCATION).map((f) => f.encoded),
    ...entry('location', location),
    ...entry('offset', String(offset)),
    ...entry('length', String(bytes)),
    Writer.create().uint32(tag(TENSOR_DATA_LOCATION, VARINT)).int32(DATA_LOCATION_EXTERNAL).finish(),
  ];
  return { tensor: rewritten, bytes };
}

/**
 * The model's bytes with every initializer of at least MIN_EXTERNAL_BYTES of raw data moved out:
 * each now names `location` at its offset in `model`, so `model` itself is the external data file;
 * `movedBytes` is the raw data moved in all. Undefined when no initializer is that large. A model
 * may hold its graph in several fields (the engine appends its instrumentation as a second one);
 * each is rewritten.
 */
export function moveWeightsOut(model: Uint8Array, location: string): { graph: Uint8Array; movedBytes: number } | undefined {
  let movedBytes = 0;
  const out: Uint8Array[] = [];
  for (const field of fields(model)) {
    if (field.number !== MODEL_GRAPH || !field.body) {
      out.push(field.encoded);
      continue;
    }
    const graph: Uint8Array[] = [];
    for (const g of fields(field.body)) {
      const moved = g.number === GRAPH_INITIALIZER && g.body ? externalTensor(g.body, model, location) : undefined;
      if (moved) movedBytes += moved.bytes;
      graph.push(...(moved ? delimited(GRAPH_INITIALIZER, moved.tensor) : [g.encoded]));
    }
    out.push(...delimited(MODEL_GRAPH, graph));
  }
  return movedBytes ? { graph: concat(out), movedBytes } : undefined;
}
