// A file's bytes as ONNX Runtime WebAssembly's external data, read from disk one weight at a time.
// Given a plain buffer, the runtime copies each weight from it into its heap, so the whole file
// sits in JavaScript next to the heap's copy while the session is built: twice the model at the
// peak. Its loader asks the external data for its byteLength and takes each weight with
// subarray(offset, end) before copying it into the heap; a Uint8Array that answers those from disk
// keeps one weight in JavaScript at a time. The runtime's loader is not a public contract, so
// `tookWeights()` tells whether it took the weights this way, and the caller falls back to a
// plain buffer (`readAll`) when it did not.
import * as fs from 'node:fs';

export class FileBytes extends Uint8Array {
  /** Built-in methods that make a new array (slice, map...) make a plain one, not a FileBytes. */
  static get [Symbol.species](): Uint8ArrayConstructor {
    return Uint8Array;
  }

  private served = 0;
  /** The ranges served since resetCount: the runtime may take a weight more than once. */
  private readonly ranges = new Set<string>();
  private readonly size: number;
  private readonly modified: number;

  /**
   * `file`'s bytes followed by `tail` (bytes that exist only in memory, e.g. what the engine
   * appends to the model); `expected` is how many bytes of weights it holds. `stat` is the file's
   * when the caller read what it knows of it (default: now); a file changed since is detected.
   */
  constructor(
    readonly file: string,
    private readonly expected: number,
    private readonly tail: Uint8Array = new Uint8Array(0),
    stat: fs.Stats = fs.statSync(file),
  ) {
    super(0);
    this.size = stat.size;
    this.modified = stat.mtimeMs;
  }

  override get byteLength(): number {
    return this.size + this.tail.length;
  }

  override get length(): number {
    return this.byteLength;
  }

  override subarray(begin = 0, end = this.byteLength): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(Math.max(0, end - begin));
    const fromFile = Math.max(0, Math.min(end, this.size) - begin);
    if (fromFile > 0) readRange(this.file, out.subarray(0, fromFile), begin);
    if (end > this.size) out.set(this.tail.subarray(Math.max(0, begin - this.size), end - this.size), fromFile);
    const range = `${begin}:${end}`;
    if (!this.ranges.has(range)) {
      this.ranges.add(range);
      this.served += out.length;
    }
    return out;
  }

  /** The same bytes as subarray: a copy read from disk, so that slicing never yields an empty array. */
  override slice(begin = 0, end = this.byteLength): Uint8Array<ArrayBuffer> {
    return this.subarray(begin, end);
  }

  resetCount(): void {
    this.served = 0;
    this.ranges.clear();
  }

  /**
   * Whether the runtime took weights through subarray since resetCount, and no more bytes than
   * the weights expected: it skips the ones no node uses, so fewer is fine. A range taken again
   * counts once: ONNX Runtime Web reads some weights more than once (lens-tiny's token embedding,
   * which the unembedding shares, and the norms the logit lens' copies of the head use), and
   * counting each read made the engine create the session a second time from plain buffers.
   */
  tookWeights(): boolean {
    return this.served > 0 && this.served <= this.expected;
  }

  /** Whether the file is no longer the one whose size was taken when this was made. */
  changed(): boolean {
    const stat = fs.statSync(this.file, { throwIfNoEntry: false });
    return stat?.size !== this.size || stat.mtimeMs !== this.modified;
  }

  /** The same bytes in one plain buffer. */
  readAll(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    readRange(this.file, out.subarray(0, this.size), 0);
    out.set(this.tail, this.size);
    return out;
  }
}

/** Reads `into.length` bytes of `file` from `position`; a file that became shorter is an error. */
export function readRange(file: string, into: Uint8Array, position: number): void {
  const fd = fs.openSync(file, 'r');
  try {
    for (let done = 0; done < into.length; ) {
      const n = fs.readSync(fd, into, done, into.length - done, position + done);
      if (n === 0) throw new Error(`${file} became shorter while it was being read`);
      done += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}
