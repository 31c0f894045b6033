// A failure of a download from the Hub, in one sentence that names the server or file and says
// what to do. Pure: no `vscode`.

export type HubErrorKind =
  /** The endpoint setting or HF_ENDPOINT is not usable. */
  | 'config'
  /** A gated or private model without a token that may read it. */
  | 'auth'
  /** No such repository, revision or file. */
  | 'not-found'
  /** The repository holds no model Model Lens can load. */
  | 'no-model'
  /** The server answered something else than the Hub's API would. */
  | 'bad-answer'
  | 'http'
  | 'connection'
  /** The connection closed before the whole file arrived. */
  | 'truncated'
  /** A file's bytes do not match the hash the Hub publishes for it. */
  | 'integrity'
  /** Not enough free disk space, or the files could not be written. */
  | 'disk'
  /** Another window is downloading the same model. */
  | 'busy'
  | 'cancelled';

export class HubError extends Error {
  constructor(
    readonly kind: HubErrorKind,
    message: string,
    /** The server's origin (never a token). */
    readonly server: string,
    /** What was received so far may be kept and the download resumed from it. */
    readonly resumable = false,
    /** The HTTP status, where one was answered. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'HubError';
  }
}
