// The web edition's engine: a Web Worker started from the extension's own dist/web/engineWorker.js,
// and the models it loads, read through vscode.workspace.fs (the default model from the extension's
// files, others from wherever modelLens.modelPath points: a workspace folder, a virtual one such as
// github.dev's). The worker cannot reach either itself, so the host reads the files and transfers
// them (webProtocol.ts); a new worker (after a deadline or a crash) gets them read again.
import * as vscode from 'vscode';
import { resolveModelFiles } from '../engine/modelFolder';
import type { EngineTransport, StartWorker, WorkerEvents } from '../engine/transport';
import type { ToWorker } from '../engine/workerProtocol';
import type { StagedModels } from '../host/modelManager';
import { type MemoryFile, putFiles, removeFolder } from './memoryFs';
import { filesToRead, isJson, type ListedFile, modelFolderPath, virtualPath, webTarget } from './modelListing';
import { relative } from './shims/path';
import type { ToWebWorker } from './webProtocol';

/** The engine reads JSON files of at most this size (src/engine/jsonFile.ts). */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

/** The parts of a Web Worker this file uses (the extension host's global, not in Node's types). */
interface WebWorker {
  postMessage(message: ToWebWorker, transfer: ArrayBuffer[]): void;
  terminate(): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: { message?: string; preventDefault?(): void }) => void) | null;
  onmessageerror: (() => void) | null;
}
type WebWorkerConstructor = new (url: string, options?: { name?: string }) => WebWorker;

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * An extension file's bytes: through workspace.fs, which reads the extension's own location on a
 * remote (code-server, Codespaces); where that location is a web address no file system serves
 * (vscode.dev's extension CDN), with fetch.
 */
export async function readExtensionFile(uri: vscode.Uri): Promise<Uint8Array> {
  try {
    return await vscode.workspace.fs.readFile(uri);
  } catch (e) {
    if (uri.scheme !== 'https' && uri.scheme !== 'http') throw e;
    const response = await fetch(uri.toString(true));
    if (!response.ok) throw new Error(`${uri.toString(true)} answered ${response.status} ${response.statusText}`);
    return new Uint8Array(await response.arrayBuffer());
  }
}

/** A model folder listed and (partly) read for the engine. */
interface StagedModel {
  folder: string;
  /** Bumped each time the folder is staged again: a worker that got an older one gets this one. */
  version: number;
  files: (ListedFile & { uri: vscode.Uri; read: boolean })[];
  /** Bytes read by `stage` and not handed to a worker yet (a worker takes them by transfer). */
  fresh?: MemoryFile[];
}

/** The host's end of one engine Web Worker: messages wait until the worker and its files are there. */
class WebWorkerTransport implements EngineTransport {
  private worker: WebWorker | undefined;
  private chain: Promise<void> = Promise.resolve();
  private ended = false;
  /** The version of each model folder this worker holds. */
  readonly holds = new Map<string, number>();

  constructor(private readonly events: WorkerEvents) {}

  get running(): boolean {
    return !this.ended;
  }

  /** Runs `step` after everything queued before it, unless the worker ended. */
  enqueue(step: () => void | Promise<void>): void {
    this.chain = this.chain
      .then(async () => {
        if (!this.ended) await step();
      })
      .catch((e) => this.end(`The engine's worker could not be given its files: ${message(e)}`));
  }

  open(Worker: WebWorkerConstructor, url: string): void {
    const worker = new Worker(url, { name: 'Model Lens engine' });
    worker.onmessage = (event) => !this.ended && this.events.onMessage(event.data as Parameters<WorkerEvents['onMessage']>[0]);
    worker.onerror = (event) => {
      event.preventDefault?.();
      this.end(`The engine stopped with an error: ${event.message ?? 'the Web Worker failed'}`);
    };
    worker.onmessageerror = () => this.end('The engine sent a message that could not be read.');
    this.worker = worker;
  }

  send(message: ToWebWorker, transfer: ArrayBuffer[] = []): void {
    this.worker?.postMessage(message, transfer);
  }

  post(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.enqueue(() => this.send(message, transfer));
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.worker?.terminate();
    this.events.onEnd(reason);
  }

  async terminate(silently: boolean): Promise<void> {
    if (silently) {
      this.ended = true;
      this.worker?.terminate();
    } else {
      this.end('The engine stopped unexpectedly (its worker was terminated).');
    }
  }
}

export class WebEngine implements StagedModels {
  readonly threads = 1;
  private readonly models = new Map<string, StagedModel>();
  /** The model folder of each target staged. */
  private readonly folders = new Map<string, string>();
  private live: WebWorkerTransport | undefined;
  private assets: Promise<{ url: string; wasm: Uint8Array }> | undefined;
  private versions = 0;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get defaultModel(): string {
    return vscode.Uri.joinPath(this.extensionUri, 'media', 'models', 'lens-tiny').toString();
  }

  backendReason(setting: string): string {
    const asked = setting === 'native' || setting === 'webgpu' ? ` (modelLens.backend "${setting}" needs VS Code on the desktop)` : '';
    return `WebAssembly in a Web Worker, one thread: the web edition of Model Lens${asked}.`;
  }

  target(configured: string): string {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    return webTarget(configured, this.defaultModel, folder, vscode.workspace.isTrusted, (parts) => vscode.Uri.from(parts).toString());
  }

  readonly startWorker: StartWorker = (events) => {
    const transport = new WebWorkerTransport(events);
    this.live = transport;
    transport.enqueue(async () => {
      const { url, wasm } = await this.loadAssets();
      const Worker = (globalThis as { Worker?: WebWorkerConstructor }).Worker;
      if (!Worker) throw new Error('this extension host cannot start Web Workers');
      transport.open(Worker, url);
      this.log.info("The engine's Web Worker started: ONNX Runtime WebAssembly, one thread.");
      // The host keeps its copy for the next worker.
      const copy = wasm.slice().buffer;
      transport.send({ kind: 'setup', wasm: copy }, [copy]);
      for (const model of this.models.values()) await this.deliver(transport, model);
    });
    return transport;
  };

  /** The worker script (as a blob: address, which any extension host can start) and ONNX Runtime's WebAssembly. */
  private loadAssets(): Promise<{ url: string; wasm: Uint8Array }> {
    this.assets ??= (async () => {
      const [script, wasm] = await Promise.all([
        readExtensionFile(vscode.Uri.joinPath(this.extensionUri, 'dist', 'web', 'engineWorker.js')),
        readExtensionFile(vscode.Uri.joinPath(this.extensionUri, 'dist', 'ort-wasm-simd-threaded.wasm')),
      ]);
      const url = URL.createObjectURL(new Blob([script], { type: 'text/javascript' }));
      return { url, wasm };
    })();
    this.assets.catch(() => (this.assets = undefined));
    return this.assets;
  }

  /** Hands a model's files to a worker that lacks them: the bytes `stage` just read, else read again. */
  private async deliver(transport: WebWorkerTransport, model: StagedModel): Promise<void> {
    if (transport.holds.get(model.folder) === model.version) return;
    let files = model.fresh;
    model.fresh = undefined;
    files ??= await readFiles(model);
    transport.holds.set(model.folder, model.version);
    transport.send({ kind: 'files', folder: model.folder, files }, transferOf(files));
  }

  async stage(target: string, maxModelBytes: number): Promise<string> {
    const uri = vscode.Uri.parse(target);
    const targetPath = virtualPath(uri);
    let stat: vscode.FileStat;
    try {
      stat = await vscode.workspace.fs.stat(uri);
    } catch {
      // The engine says the path does not exist, as on the desktop.
      return targetPath;
    }
    const isFile = (stat.type & vscode.FileType.File) !== 0;
    const folderUri = uri.with({ path: modelFolderPath(uri.path, isFile) });
    const folder = virtualPath(folderUri);
    const listed = await listModelFolder(folderUri);
    // The host chooses the .onnx the way the engine will (modelFolder.ts, over memoryFs): from the
    // listing's sizes and the JSON files, which may name the decoder.
    const json = new Map<string, Uint8Array>();
    for (const f of listed) if (isJson(f.name) && f.size <= MAX_JSON_BYTES) json.set(f.name, await vscode.workspace.fs.readFile(f.uri));
    removeFolder(folder);
    putFiles(listed.map((f) => ({ path: `${folder}/${f.name}`, size: f.size, data: json.get(f.name) })));
    let onnx: string | undefined;
    try {
      onnx = relative(folder, resolveModelFiles(targetPath).onnx);
    } catch {
      // The engine says what is wrong with the folder.
    }
    const read = new Set(filesToRead(listed, onnx, maxModelBytes));
    // The host keeps sizes only (for the engine's request deadlines).
    putFiles(listed.map((f) => ({ path: `${folder}/${f.name}`, size: f.size })));
    const model: StagedModel = { folder, version: ++this.versions, files: listed.map((f) => ({ ...f, read: read.has(f.name) })) };
    model.fresh = await readFiles(model, json);
    this.log.debug(`Read ${[...read].join(', ') || 'no files'} of ${folderUri.toString(true)} for the engine's Web Worker.`);
    this.models.set(folder, model);
    this.folders.set(target, folder);
    const live = this.live;
    if (live?.running) live.enqueue(() => this.deliver(live, model));
    return targetPath;
  }

  loaded(target: string): void {
    const keep = this.folders.get(target);
    for (const folder of [...this.models.keys()]) {
      if (folder === keep) continue;
      this.models.delete(folder);
      removeFolder(folder);
      const live = this.live;
      if (live?.running && live.holds.delete(folder)) live.enqueue(() => live.send({ kind: 'forget', folder }));
    }
    for (const [t, folder] of [...this.folders]) if (folder !== keep) this.folders.delete(t);
  }
}

/** The files of a model folder and of its onnx/ folder, with their sizes; not links. */
async function listModelFolder(folder: vscode.Uri): Promise<(ListedFile & { uri: vscode.Uri })[]> {
  const out: (ListedFile & { uri: vscode.Uri })[] = [];
  for (const prefix of ['', 'onnx/']) {
    const dir = prefix ? vscode.Uri.joinPath(folder, 'onnx') : folder;
    let entries: [string, vscode.FileType][];
    try {
      entries = await vscode.workspace.fs.readDirectory(dir);
    } catch {
      continue;
    }
    for (const [name, type] of entries) {
      // Links are not followed: in memory the engine cannot tell where one led, so its check that
      // every file lies inside the model's folder (modelBounds.ts) would not see one that leaves it.
      if (!(type & vscode.FileType.File) || type & vscode.FileType.SymbolicLink) continue;
      const uri = vscode.Uri.joinPath(dir, name);
      out.push({ name: `${prefix}${name}`, size: (await vscode.workspace.fs.stat(uri)).size, uri });
    }
  }
  return out;
}

/** A staged model's files for a worker: the bytes of those to read, the size of the others. */
async function readFiles(model: StagedModel, known = new Map<string, Uint8Array>()): Promise<MemoryFile[]> {
  return Promise.all(
    model.files.map(async (f) => ({
      path: `${model.folder}/${f.name}`,
      size: f.size,
      data: f.read ? own(known.get(f.name) ?? (await vscode.workspace.fs.readFile(f.uri))) : undefined,
    })),
  );
}

/** Bytes in a buffer of their own, which can be transferred without taking anything else with it. */
function own(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}

function transferOf(files: MemoryFile[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const f of files) if (f.data && f.data.buffer instanceof ArrayBuffer) buffers.add(f.data.buffer);
  return [...buffers];
}
