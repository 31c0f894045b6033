// The host's side of the WebGPU backend: a "Model Lens GPU" webview tab that runs ONNX Runtime's
// WebGPU build. The engine's worker sends it the instrumented model and each forward pass through
// EngineClient; this class moves them across the webview boundary as ArrayBuffers, in chunks, and
// rejects what is pending if the tab goes away (the engine then falls back to WebAssembly).
import * as vscode from 'vscode';
import type { Tensors } from '../../engine/runner';
import type { RemoteBackend, RemoteCall, RemoteResult } from '../../engine/workerProtocol';
import { answersGpuRequest, parseFromGpuView, type FromGpuView, type GpuAdapterInfo, type ToGpuView, type WireTensor } from '../../shared/protocol';
import { PendingReplies } from '../../shared/pendingReplies';
import { exactBuffer, wireArray } from '../../shared/wireTensor';
import { setUpWebview } from '../webviewSetup';

export const GPU_VIEW_TYPE = 'modelLens.gpu';
/** Large models cross in pieces: one huge message is slow to clone and may hit size limits. */
const CHUNK_BYTES = 16 * 1024 * 1024;
const ADAPTER_TIMEOUT_MS = 30_000;

type GpuReply = FromGpuView & { type: 'reply'; ok: true };

export class GpuBackend implements RemoteBackend, vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private adapter: Promise<GpuAdapterInfo> | undefined;
  /** Requests waiting for their reply, with the request itself to check the reply against. */
  private readonly pending = new PendingReplies<GpuReply, ToGpuView>();

  constructor(private readonly extensionUri: vscode.Uri) {}

  /** Opens the GPU tab (in the background, beside the editor) and waits for its adapter. */
  ensureAdapter(): Promise<GpuAdapterInfo> {
    if (this.panel && this.adapter) return this.adapter;
    const panel = vscode.window.createWebviewPanel(
      GPU_VIEW_TYPE,
      'Model Lens GPU',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { retainContextWhenHidden: true },
    );
    // It holds a GPU session that cannot be rebuilt cheaply, hence retainContextWhenHidden.
    setUpWebview(panel.webview, this.extensionUri, 'gpu', 'Model Lens WebGPU backend', {
      dist: `${panel.webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist')).toString()}/`,
    });
    this.panel = panel;
    this.adapter = new Promise<GpuAdapterInfo>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the WebGPU tab did not report an adapter')), ADAPTER_TIMEOUT_MS);
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        // The tab's messages are parsed like every webview's: sizes and ids are checked before use.
        const m = parseFromGpuView(raw);
        if (m?.type === 'adapter') {
          clearTimeout(timer);
          if (m.adapter) resolve(m.adapter);
          else reject(new Error(`no WebGPU adapter: ${m.reason ?? 'unknown reason'}`));
        } else if (m?.type === 'reply') {
          const asked = this.pending.request(m.id);
          if (!m.ok) this.pending.reject(m.id, new Error(m.message));
          else if (asked && answersGpuRequest(asked, m)) this.pending.resolve(m.id, m);
          else this.pending.reject(m.id, new Error(`the Model Lens GPU tab answered a ${asked?.type} request with a reply of another kind`));
        }
      });
    });
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.adapter = undefined;
      this.pending.rejectAll(new Error('the Model Lens GPU tab was closed'));
    });
    return this.adapter;
  }

  /** Sends the request `make` builds with its id, and waits for its reply. */
  private async send(make: (id: number) => ToGpuView): Promise<GpuReply> {
    await this.ensureAdapter();
    const panel = this.panel;
    if (!panel) throw new Error('the Model Lens GPU tab was closed');
    const { id, request, reply } = this.pending.open(make);
    void panel.webview
      .postMessage(request)
      .then((delivered) => delivered || this.pending.reject(id, new Error('the Model Lens GPU tab did not take the message')));
    return reply;
  }

  private post(message: ToGpuView): void {
    void this.panel?.webview.postMessage(message);
  }

  async call(call: RemoteCall): Promise<RemoteResult> {
    switch (call.op) {
      case 'create': {
        await this.ensureAdapter();
        const files = [call.model, ...call.externalData.map((e) => e.data)];
        const created = await this.send((id) => {
          // The files go first, in chunks under the create request's id; the request then assembles them.
          files.forEach((file, index) => {
            for (let offset = 0; offset < file.length; offset += CHUNK_BYTES) {
              this.post({ type: 'chunk', id, file: index, offset, total: file.length, data: exactBuffer(file.subarray(offset, offset + CHUNK_BYTES)) });
            }
          });
          return { type: 'create', id, externalData: call.externalData.map((e) => e.path) };
        });
        return created.session;
      }
      case 'run': {
        const feeds = Object.fromEntries(
          Object.entries(call.feeds).map(([name, t]) => [name, { type: t.type, dims: t.dims, data: exactBuffer(t.data) } satisfies WireTensor]),
        );
        const reply = await this.send((id) => ({ type: 'run', id, session: call.session, feeds, fetches: call.fetches }));
        const outputs: Tensors = {};
        for (const [name, t] of Object.entries(reply.outputs ?? {})) outputs[name] = { type: t.type, dims: t.dims, data: wireArray(t) };
        return outputs;
      }
      case 'release':
        if (this.panel) await this.send((id) => ({ type: 'release', id, session: call.session }));
        return undefined;
    }
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
