// What a panel's host sends its webview, held back until the webview listens. A webview's script
// posts `ready` once it has its message listener (on first load, after a window reload, and each
// time VS Code re-creates the page of a hidden panel); a message posted before that would be lost.
// No VS Code here: the channel only needs a function that posts, so the unit tests give it a fake.

export class WebviewChannel<T> {
  private listening = false;
  /** The latest message posted while the webview did not listen yet. */
  private kept: T | undefined;

  /**
   * @param send posts one message to the webview (`webview.postMessage`).
   * @param current what the panel shows now, sent again on `ready` (a re-created page starts empty);
   *   when it gives nothing, the latest message kept while the webview did not listen is sent.
   */
  constructor(
    private readonly send: (message: T) => void,
    private readonly current: () => T | undefined = () => undefined,
  ) {}

  /** Sends the message if the webview listens; otherwise keeps it, in place of any kept before. */
  post(message: T): void {
    if (this.listening) this.send(message);
    else this.kept = message;
  }

  /** The webview said `ready`: from now on messages go straight to it, starting with what it should show. */
  ready(): void {
    this.listening = true;
    const again = this.current() ?? this.kept;
    this.kept = undefined;
    if (again !== undefined) this.send(again);
  }
}
