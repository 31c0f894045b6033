// Reading and writing ONNX files on protobuf's wire format, for the rewrites that must copy every
// field they do not change byte for byte (a model's weights are never decoded and re-encoded).
import { Reader, Writer } from 'protobufjs/light';

// Field numbers of onnx.proto, for the rewrites that read and write it on the wire.
export const MODEL_GRAPH = 7;
export const GRAPH_NODE = 1;
export const GRAPH_INITIALIZER = 5;
export const GRAPH_INPUT = 11;
export const NODE_OUTPUT = 2;
export const NODE_ATTRIBUTE = 5;
export const ATTRIBUTE_NAME = 1;
export const ATTRIBUTE_GRAPH = 6;
export const TENSOR_RAW_DATA = 9;
export const TENSOR_EXTERNAL_DATA = 13;
export const TENSOR_DATA_LOCATION = 14;
export const ENTRY_KEY = 1;
export const ENTRY_VALUE = 2;

export const VARINT = 0;
export const LENGTH_DELIMITED = 2;

export interface Field {
  number: number;
  /** The whole field as it is encoded: tag, length and payload. */
  encoded: Uint8Array;
  /** The payload of a length-delimited field. */
  body?: Uint8Array;
}

export function fields(message: Uint8Array): Field[] {
  const reader = Reader.create(message);
  const out: Field[] = [];
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const tag = reader.uint32();
    const number = tag >>> 3;
    if ((tag & 7) === LENGTH_DELIMITED) {
      const length = reader.uint32();
      const bodyStart = reader.pos;
      reader.skip(length);
      out.push({ number, encoded: message.subarray(start, reader.pos), body: message.subarray(bodyStart, reader.pos) });
    } else {
      reader.skipType(tag & 7);
      out.push({ number, encoded: message.subarray(start, reader.pos) });
    }
  }
  return out;
}

export function tag(number: number, wireType: number): number {
  return (number << 3) | wireType;
}

export function delimited(number: number, parts: Uint8Array[]): Uint8Array[] {
  const length = parts.reduce((sum, p) => sum + p.length, 0);
  return [Writer.create().uint32(tag(number, LENGTH_DELIMITED)).uint32(length).finish(), ...parts];
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
