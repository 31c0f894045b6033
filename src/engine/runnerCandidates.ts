// Where a model may run, in the order it is tried: a remote runner (WebGPU in a webview) before
// ONNX Runtime in this thread, the instrumented graph before the model as it is. Loading starts
// the first candidate that starts; a runner that fails mid-way hands over to the next candidate
// that takes the same graph. Every candidate that did not start is recorded with its reason: the
// model's notes say it, and when none starts the error names each. A ModelLensError is the
// model's own fault (a file changed on disk, one too large), not the candidate's, and is thrown
// as it is.
import { ModelLensError } from './errors';
import type { ModelBytes, Runner, RunnerFactory } from './runner';
import type { Backend } from './types';

export interface Candidate {
  backend: Backend;
  /** The model with its instrumentation appended, or as it is (then only its logits are known). */
  graph: 'instrumented' | 'plain';
  /** Its bytes, made only when it is tried. */
  bytes: () => ModelBytes;
  start: RunnerFactory;
}

/** A candidate that did not start or failed, and the runtime's reason. */
export interface Failure {
  candidate: Candidate;
  reason: string;
}

export interface Started {
  candidate: Candidate;
  runner: Runner;
  /** The candidates tried before it, in order, and why each did not start. */
  failures: Failure[];
  /** The candidates after it that take the same graph: where its runner hands over when it fails. */
  handOver: Candidate[];
}

const BACKEND_NAMES: Record<Backend, string> = { wasm: 'WebAssembly', native: 'native ONNX Runtime', webgpu: 'WebGPU' };

const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).trim();

/** Starts the first of `candidates` that starts; when none does, throws what `noneStarted` makes of the failures. */
export async function startFirst(candidates: Candidate[], noneStarted: (failures: Failure[]) => Error): Promise<Started> {
  const failures: Failure[] = [];
  for (const [i, candidate] of candidates.entries()) {
    try {
      const runner = await candidate.start(candidate.bytes());
      return { candidate, runner, failures, handOver: candidates.slice(i + 1).filter((c) => c.graph === candidate.graph) };
    } catch (e) {
      if (e instanceof ModelLensError) throw e;
      failures.push({ candidate, reason: message(e) });
    }
  }
  throw noneStarted(failures);
}

/** What the model's notes say of a candidate that did not start, now that `chosen` has. */
export function failureNote({ candidate, reason }: Failure, chosen: Candidate): string {
  if (candidate.backend !== chosen.backend) return `${candidate.backend} could not start (${reason}); the model runs on ${BACKEND_NAMES[chosen.backend]}.`;
  return `the ${candidate.graph} model did not load (${reason})`;
}

/** What the model's notes say when the runner of `failed` fails mid-way (`reason`) and `next` takes over. */
export function handOverNote(failed: Candidate, reason: string, next: Candidate): string {
  return `${failed.backend} failed (${reason}); the model now runs on ${BACKEND_NAMES[next.backend]}.`;
}

/** Every failure's reason, in the order tried (each candidate named where they differ): what an error says when none started. */
export function describeFailures(failures: Failure[]): string {
  if (new Set(failures.map((f) => f.reason)).size === 1) return failures[0].reason;
  return failures.map(({ candidate, reason }) => `the ${candidate.graph} model on ${BACKEND_NAMES[candidate.backend]}: ${reason}`).join('; ');
}
