// The log's lines: models, times and backends, never the text; and every error notification of
// the extension goes through the helper that adds "Show Log".
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import manifest from '../../package.json';
import { localized } from '../helpers/manifest';
import type { ModelInfo } from '../../src/engine/types';
import { backendName, formatDuration, loadedLine, workerEventLine } from '../../src/host/logLines';

const INFO = {
  name: 'lens-tiny',
  folder: '/models/lens-tiny',
  file: '/models/lens-tiny/onnx/model.onnx',
  parameters: 1_234_567,
  layers: 4,
  heads: 4,
  dModel: 128,
  precision: 'float32',
  backend: 'wasm',
  threads: 2,
} as ModelInfo;

describe('log lines', () => {
  it('names backends for people', () => {
    expect(backendName('wasm')).toBe('WebAssembly');
    expect(backendName('webgpu')).toBe('WebGPU');
    expect(backendName('native')).toBe('Native ONNX Runtime');
    expect(backendName('something-new')).toBe('something-new');
  });

  it('formats durations in milliseconds, then seconds', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(849.6)).toBe('850 ms');
    expect(formatDuration(9_999)).toBe('9999 ms');
    expect(formatDuration(12_345)).toBe('12.3 s');
    expect(formatDuration(Number.NaN)).toBe('? ms');
    expect(formatDuration(-5)).toBe('? ms');
  });

  it('says which model loaded, from where, how fast and on which backend', () => {
    const line = loadedLine(INFO, 1500);
    expect(line).toBe(
      'Loaded lens-tiny (/models/lens-tiny/onnx/model.onnx) in 1500 ms on WebAssembly with 2 threads: 4 layers, 4 heads, d_model 128, 1.2M parameters, float32.',
    );
    expect(loadedLine({ ...INFO, threads: 1, parameters: 999, backend: 'webgpu' }, 20_000)).toContain(
      'in 20.0 s on WebGPU with 1 thread: 4 layers, 4 heads, d_model 128, 999 parameters',
    );
  });

  it('logs worker restarts, deadlines and deaths at the level they deserve', () => {
    expect(workerEventLine({ kind: 'started', count: 1 })).toEqual({ level: 'debug', text: 'Engine worker started.' });
    expect(workerEventLine({ kind: 'started', count: 3 })).toEqual({ level: 'info', text: 'Engine worker restarted (worker 3 of this engine).' });
    expect(workerEventLine({ kind: 'reload', target: '/m' })).toEqual({ level: 'info', text: 'The new worker loads /m again.' });
    expect(workerEventLine({ kind: 'stopped', reason: 'timed-out', message: 'Running took longer than 30 s.' })).toEqual({
      level: 'warn',
      text: 'Engine worker stopped: a request passed its deadline. Running took longer than 30 s.',
    });
    expect(workerEventLine({ kind: 'stopped', reason: 'cancelled', message: 'The analysis was cancelled.' }).level).toBe('debug');
    expect(workerEventLine({ kind: 'stopped', reason: 'died', message: 'The engine stopped unexpectedly (exit code 1).' })).toEqual({
      level: 'error',
      text: 'Engine worker died. The engine stopped unexpectedly (exit code 1).',
    });
  });
});

describe('Show Log', () => {
  it('is a command in the Model Lens category', () => {
    const command = manifest.contributes.commands.find((c) => c.command === 'modelLens.showLog');
    expect(command && { title: localized(command.title), category: localized(command.category) }).toEqual({ title: 'Show Log', category: 'Model Lens' });
  });

  it('is offered on every error notification: only log.ts calls showErrorMessage', () => {
    const src = path.join(__dirname, '../../src');
    const files = (fs.readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
    const callers = files.filter((f) => fs.readFileSync(path.join(src, f), 'utf8').includes('showErrorMessage('));
    expect(callers).toEqual([path.join('host', 'log.ts')]);
  });
});
