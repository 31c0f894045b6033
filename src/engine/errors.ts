// Errors the user can act on: each names the file involved and what to do about it. They cross
// the worker boundary as plain data and are rebuilt on the other side.

export type ErrorCode =
  | 'model-not-found'
  | 'not-onnx'
  | 'damaged-model'
  | 'no-logits'
  | 'no-tokenizer'
  | 'bad-tokenizer'
  | 'unsupported-input'
  | 'token-out-of-range'
  | 'too-large'
  | 'outside-folder'
  | 'load-failed'
  | 'run-failed'
  | 'worker-died'
  | 'timed-out'
  | 'cancelled';

export interface ErrorData {
  code: ErrorCode;
  message: string;
  file?: string;
  hint?: string;
}

export class ModelLensError extends Error {
  readonly code: ErrorCode;
  readonly file?: string;
  readonly hint?: string;

  constructor(data: ErrorData) {
    super(data.message);
    this.name = 'ModelLensError';
    this.code = data.code;
    this.file = data.file;
    this.hint = data.hint;
  }

  /** One sentence for a notification: what happened, to which file, and what to do. */
  get userMessage(): string {
    return [this.message, this.file ? `(${this.file})` : '', this.hint ?? ''].filter(Boolean).join(' ');
  }

  toData(): ErrorData {
    return { code: this.code, message: this.message, file: this.file, hint: this.hint };
  }

  static fromData(data: ErrorData): ModelLensError {
    return new ModelLensError(data);
  }
}

export function errorMessage(e: unknown): string {
  if (e instanceof ModelLensError) return e.userMessage;
  return e instanceof Error ? e.message : String(e);
}
