// Requests waiting for their reply across a message boundary, matched by id: the worker's calls
// into the host, the host's to the GPU webview, a panel's to the host. Each side posts its own
// messages (their shapes are in the protocol) and parses what arrives; this is the one place that
// numbers requests, settles the one a reply names, drops a reply nobody waits for, and fails what
// is pending when the other side goes away.

interface Waiting<T, R> {
  request: R;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

/** Replies of type T awaited for requests R (kept, to check a reply against what was asked). */
export class PendingReplies<T, R = void> {
  private readonly waiting = new Map<number, Waiting<T, R>>();
  private nextId = 1;

  /** A new request, made with its id (a request usually carries it), and the promise its reply settles. */
  open(make: (id: number) => R): { id: number; request: R; reply: Promise<T> } {
    const id = this.nextId++;
    const request = make(id);
    const reply = new Promise<T>((resolve, reject) => this.waiting.set(id, { request, resolve, reject }));
    return { id, request, reply };
  }

  /** What request `id` asked, while its reply is awaited. */
  request(id: number): R | undefined {
    return this.waiting.get(id)?.request;
  }

  /** Settles request `id` with its reply; false when nothing waits for it (answered already, or failed). */
  resolve(id: number, value: T): boolean {
    const w = this.take(id);
    w?.resolve(value);
    return !!w;
  }

  reject(id: number, error: Error): boolean {
    const w = this.take(id);
    w?.reject(error);
    return !!w;
  }

  /** The other side went away: every request still waiting fails with `error`. */
  rejectAll(error: Error): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of all) w.reject(error);
  }

  private take(id: number): Waiting<T, R> | undefined {
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    return w;
  }
}
