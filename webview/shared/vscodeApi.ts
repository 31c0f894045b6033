// Typed access to the host. acquireVsCodeApi() may be called once per webview, so every part of
// an app goes through the one instance made here; the message types come from src/protocol.ts.

interface RawVsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): RawVsCodeApi;

export interface VsCodeApi<TOut, TState> {
  /** Sends a message to the extension host (ArrayBuffers in it are transferred, not copied). */
  postMessage(message: TOut): void;
  /** What setState stored before the webview was hidden or reloaded; undefined the first time. */
  getState(): TState | undefined;
  /** Kept by VS Code while the panel lives, across hide/show and window reloads (JSON only). */
  setState(state: TState): void;
}

let raw: RawVsCodeApi | undefined;

function acquire(): RawVsCodeApi {
  if (!raw) {
    raw =
      typeof acquireVsCodeApi === 'function'
        ? acquireVsCodeApi()
        : // Outside VS Code (a plain browser page): log instead of failing, so pages can be previewed.
          { postMessage: (m) => console.info('[postMessage]', m), getState: () => undefined, setState: () => undefined };
  }
  return raw;
}

export function vscodeApi<TOut, TState>(): VsCodeApi<TOut, TState> {
  const api = acquire();
  return {
    postMessage: (message) => api.postMessage(message),
    getState: () => (api.getState() ?? undefined) as TState | undefined,
    setState: (state) => api.setState(state),
  };
}

/**
 * Listens for messages from the host. The data is trusted to come from our host (VS Code only
 * delivers those), but check the shape anyway in `accept` before believing the type.
 */
export function onHostMessage<TIn>(accept: (data: unknown) => data is TIn, handler: (message: TIn) => void): () => void {
  const listener = (event: MessageEvent) => {
    if (accept(event.data)) handler(event.data);
  };
  window.addEventListener('message', listener);
  return () => window.removeEventListener('message', listener);
}
