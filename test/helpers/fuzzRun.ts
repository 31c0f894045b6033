// What a fuzz run through the engine checks besides each outcome: that every case ends within a
// time limit, and that the host gives back the memory the run used.
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

/** `work`, or a failure naming `what` if it has not settled after `ms`. */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms: ${what}`)), ms)));
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

/** Forced garbage collection, to compare memory before and after. */
export function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

/** JavaScript heap plus buffers (a worker's WebAssembly memory counts here while it lives). */
export function heldBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}
