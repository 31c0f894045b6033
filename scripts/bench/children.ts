// Child processes of the benchmark: each measurement runs in a fresh process (its own peak RSS,
// its own ONNX Runtime), gets its spec as a JSON file and writes its result to another.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export class Children {
  private count = 0;

  constructor(
    /** Where specs and results are written. */
    private readonly dir: string,
    private readonly cwd: string,
    /** A child that runs longer than this is stopped and counted as failed (a hang must not stall CI). */
    private readonly timeoutMs: number,
  ) {}

  /** Runs `command ...args SPEC.json` and returns what it wrote, or throws with the tail of its output. */
  run<T>(command: string, args: string[], spec: object, what: string): Promise<T> {
    const id = ++this.count;
    const specFile = path.join(this.dir, `${id}.spec.json`);
    const out = path.join(this.dir, `${id}.result.json`);
    fs.mkdirSync(this.dir, { recursive: true });
    fs.rmSync(out, { force: true });
    fs.writeFileSync(specFile, JSON.stringify({ ...spec, out }));
    const started = performance.now();
    process.stdout.write(`  ${what} … `);
    return new Promise((resolve, reject) => {
      const proc = spawn(command, [...args, specFile], { cwd: this.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      const timer = setTimeout(() => proc.kill('SIGKILL'), this.timeoutMs);
      let log = '';
      proc.stdout.on('data', (d) => (log += d));
      proc.stderr.on('data', (d) => (log += d));
      proc.on('error', reject);
      proc.on('close', (code, signal) => {
        clearTimeout(timer);
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        if (code === 0 && fs.existsSync(out)) {
          console.log(`${seconds} s`);
          resolve(JSON.parse(fs.readFileSync(out, 'utf8')) as T);
        } else {
          console.log(`FAILED after ${seconds} s`);
          reject(new Error(`${what} exited with ${signal ?? `code ${code}`}:\n${log.trim().split('\n').slice(-15).join('\n')}`));
        }
      });
    });
  }
}

/** A Python that imports torch (BENCH_PYTHON, the system Python, python3 on PATH), or why there is none. */
export async function findTorchPython(): Promise<{ python?: string; note?: string }> {
  const candidates = [process.env.BENCH_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => !!c);
  const imports = (python: string) =>
    new Promise<boolean>((resolve) => {
      const proc = spawn(python, ['-c', 'import torch'], { stdio: 'ignore' });
      proc.on('error', () => resolve(false));
      proc.on('close', (code) => resolve(code === 0));
    });
  for (const python of candidates) if (await imports(python)) return { python };
  return { note: `PyTorch is not importable from ${candidates.join(', ')} (set BENCH_PYTHON to a Python with torch): the PyTorch row is skipped.` };
}
