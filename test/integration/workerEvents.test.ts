// What the engine tells the host about its worker, for the log: the first start, a crash, the
// restart and the model loaded again in the new worker.
import { afterEach, expect, it } from 'vitest';
import { EngineClient, type WorkerEvent } from '../../src/engine/client';
import { buildDecoder } from '../helpers/decoderBuilder';
import { writeModelFolder } from '../helpers/modelFolder';
import { WORKER } from '../helpers/paths';

const SMALL = writeModelFolder('worker-events', buildDecoder({ attention: 'unfused' }));

let engine: EngineClient | undefined;
afterEach(() => engine?.dispose());

it('reports the worker starting, dying, restarting and loading the model again', async () => {
  const events: WorkerEvent[] = [];
  engine = new EngineClient({ workerPath: WORKER, backend: 'wasm', threads: 1, onWorkerEvent: (e) => events.push(e) });
  await engine.load(SMALL);
  await engine.analyze('the zebra sat');
  expect(events).toEqual([{ kind: 'started', count: 1 }]);
  await engine.terminateWorker();
  expect(events.at(-1)).toMatchObject({ kind: 'stopped', reason: 'died', message: expect.stringContaining('stopped unexpectedly') });
  await engine.analyze('the quokka');
  expect(events.slice(2)).toEqual([
    { kind: 'started', count: 2 },
    { kind: 'reload', target: SMALL },
  ]);
  // Nothing the engine reports carries the text analysed.
  expect(JSON.stringify(events)).not.toMatch(/zebra|quokka/);
});
