// Owns the engine's lifecycle for the extension host: loads the configured model on first use,
// reloads when settings change, keeps the previous model working when a new one fails, and starts
// a new engine for new settings or a newly found GPU. What the user sees of a load is
// loadProgress.ts, the analyses kept are analysisCache.ts, the backend comparison is
// commands/backendComparison.ts.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AnalysisCache } from './analysisCache';
import { chooseBackend, describeAdapter, nativeRuntimeInstalled, withProvider } from './backendChoice';
import { analyzeOnBothBackends } from './commands/backendComparison';
import { affects, readSettings, type Settings } from './config';
import { EngineClient, type EngineOptions, type WorkerEvent } from '../engine/client';
import type { StartWorker } from '../engine/transport';
import { ModelLensError } from '../engine/errors';
import type { Analysis, AnalyzeOptions, Backend, Intervention, InterventionRuns, ModelInfo } from '../engine/types';
import { type LoadProgress, notifyLoadProgress, reportLoadFailure, showLoadInStatusBar, warnBackendFallback, warnWebGpuFailed } from './loadProgress';
import { backendName, formatDuration, loadedLine, workerEventLine } from './logLines';
import type { GpuAdapterInfo } from '../shared/protocol';
import { watchModelFiles } from './modelWatcher';
import { RecentModels } from './recentModels';
import type { GpuBackend } from './webgpu/gpuBackend';

/**
 * Where models come from when the engine cannot read the disk itself: the web edition (src/web),
 * whose targets are URIs read through vscode.workspace.fs into the engine's Web Worker before it
 * loads them. Without it, targets are paths the engine's worker_threads worker reads.
 */
export interface StagedModels {
  /** The default model, as a target. */
  readonly defaultModel: string;
  /** ONNX Runtime's threads (the web edition runs one). */
  readonly threads: number;
  /** Starts the engine's worker. */
  readonly startWorker: StartWorker;
  /** Why the engine runs where it does, for `modelLens.backend` set to `setting`. */
  backendReason(setting: string): string;
  /** The target modelLens.modelPath names (`configured`, trimmed; '' is the default model). */
  target(configured: string): string;
  /** Hands the target's files to the engine's worker; the path the engine loads it from. */
  stage(target: string, maxModelBytes: number): Promise<string>;
  /** `target` loaded and is the model in use: the files of others may go. */
  loaded(target: string): void;
}

interface LoadAttempt {
  target: string;
  promise: Promise<ModelInfo>;
  /** Fired when the user cancels the progress notification. */
  cancelled: vscode.CancellationTokenSource;
  settled?: boolean;
  failed?: ModelLensError;
  /** Whether its progress notification is up (a load a hover started shows only in the status bar). */
  notified?: boolean;
}

export class ModelManager implements vscode.Disposable {
  private engine: EngineClient;
  private settings: Settings;
  private backend!: ReturnType<typeof chooseBackend>;
  /** The WebGPU adapter a webview reported, if any. */
  private gpuAdapter: GpuAdapterInfo | undefined;
  private info: ModelInfo | undefined;
  /** The model being loaded or loaded last, and how that went. */
  private attempt: LoadAttempt | undefined;
  private readonly cache = new AnalysisCache();
  private readonly changed = new vscode.EventEmitter<ModelInfo>();
  private readonly loadingChanged = new vscode.EventEmitter<string | undefined>();
  private readonly disposables: vscode.Disposable[] = [];
  private watcher: vscode.Disposable | undefined;
  private readonly recent: RecentModels;
  /** Fires when a model finished loading and is now the one in use. */
  readonly onDidChangeModel = this.changed.event;
  /** Fires with a model's name when it starts loading, and undefined when loading ends. */
  readonly onDidChangeLoading = this.loadingChanged.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly gpu: GpuBackend | undefined,
    private readonly log: vscode.LogOutputChannel,
    private readonly staged?: StagedModels,
  ) {
    this.recent = new RecentModels(context.globalState, this.defaultModelPath);
    this.settings = readSettings();
    this.engine = this.createEngine();
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!affects(e, 'modelPath', 'threads', 'backend', 'native.executionProvider', 'maxModelSizeMB', 'requestTimeoutSeconds')) return;
        const before = this.settings;
        this.settings = readSettings();
        const engineChanged = (['threads', 'backend', 'nativeExecutionProvider', 'maxModelBytes', 'requestTimeoutMs'] as const).some(
          (key) => before[key] !== this.settings[key],
        );
        // Whether a model was loaded or loading, asked before a new engine forgets it.
        const inUse = !!(this.info || this.attempt);
        if (engineChanged) this.restartEngine();
        this.cache.clear();
        // Load the newly configured model right away so a broken path is reported now.
        if (inUse) void this.ensureLoaded().catch(() => undefined);
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => (this.settings = readSettings())),
      this.changed,
      this.loadingChanged,
    );
  }

  private createEngine(): EngineClient {
    this.backend = this.staged
      ? { backend: 'wasm', reason: this.staged.backendReason(this.settings.backend) }
      : chooseBackend(this.settings.backend, nativeRuntimeInstalled(), this.gpuAdapter);
    this.log.info(`Backend: ${this.backend.reason}`);
    this.log.debug(
      `Engine settings: modelLens.backend ${this.settings.backend}, threads ${this.settings.threads || 'auto'}, maxModelBytes ${this.settings.maxModelBytes}, requestTimeoutMs ${this.settings.requestTimeoutMs}.`,
    );
    return new EngineClient({
      ...this.engineOptions(this.backend.backend),
      executionProvider: this.settings.nativeExecutionProvider,
      remote: this.gpu,
      onWorkerEvent: (event) => this.logWorkerEvent(event),
    });
  }

  /** What every engine of the extension is made with: the bundled worker and the settings in use. */
  private engineOptions(backend: Backend): EngineOptions {
    return {
      workerPath: path.join(this.context.extensionPath, 'dist', 'worker.js'),
      startWorker: this.staged?.startWorker,
      backend,
      threads: this.staged?.threads ?? this.settings.threads,
      maxModelBytes: this.settings.maxModelBytes,
      requestTimeoutMs: this.settings.requestTimeoutMs,
    };
  }

  private logWorkerEvent(event: WorkerEvent): void {
    const { level, text } = workerEventLine(event);
    this.log[level](text);
  }

  get defaultModelPath(): string {
    if (this.staged) return this.staged.defaultModel;
    return path.join(this.context.extensionPath, 'media', 'models', 'lens-tiny');
  }

  /** The model in use, if one is loaded. */
  get current(): ModelInfo | undefined {
    return this.info;
  }

  /** Why the last load failed, while the previous model (if any) stays in use. */
  get lastError(): string | undefined {
    return this.attempt?.failed?.userMessage;
  }

  /** Name of the model being loaded, if one is. */
  get loadingName(): string | undefined {
    return this.attempt && !this.attempt.settled ? path.basename(this.attempt.target) : undefined;
  }

  get backendReason(): string {
    return withProvider(this.backend.reason, this.info);
  }

  get cacheBytes(): number {
    return this.cache.bytes;
  }

  get recentModels(): string[] {
    return this.recent.list();
  }

  /**
   * The configured model path, resolved: `~` and paths relative to the first workspace folder work.
   * In Restricted Mode a relative path (even from user settings) would name a file of the untrusted
   * folder's choosing, so the default model is used instead.
   */
  configuredTarget(): string {
    const configured = this.settings.modelPath.trim();
    if (this.staged) return this.staged.target(configured);
    if (!configured) return this.defaultModelPath;
    const expanded = configured.startsWith('~') ? path.join(os.homedir(), configured.slice(1)) : configured;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (path.isAbsolute(expanded) || !folder) return expanded;
    return vscode.workspace.isTrusted ? path.join(folder, expanded) : this.defaultModelPath;
  }

  /** The configured model, loading it if needed. A failed path is not retried until settings change. */
  ensureLoaded(token?: vscode.CancellationToken, progress: LoadProgress = 'notification'): Promise<ModelInfo> {
    const target = this.configuredTarget();
    const attempt = this.attempt?.target === target ? this.attempt : this.startLoading(target, progress);
    // A command waiting for a load a hover started gets its notification from now on.
    if (progress === 'notification' && !attempt.notified && !attempt.settled) this.notifyProgress(attempt);
    if (attempt.failed && this.info) return Promise.resolve(this.info);
    return waitUnlessCancelled(attempt.promise, attempt.cancelled.token, token);
  }

  /** Loads a model folder (side panel's "Open model folder…"), then makes it the one in use. */
  load(target: string, token?: vscode.CancellationToken): Promise<ModelInfo> {
    const attempt = this.startLoading(target);
    return waitUnlessCancelled(attempt.promise, attempt.cancelled.token, token);
  }

  /**
   * Starts loading in the worker, with a progress notification or, for a load nobody asked for
   * (see LoadProgress), in the status bar only.
   */
  private startLoading(target: string, progress: LoadProgress = 'notification'): LoadAttempt {
    const name = path.basename(target);
    const cancelled = new vscode.CancellationTokenSource();
    const started = performance.now();
    this.log.info(`Loading ${target} on ${backendName(this.backend.backend)}…`);
    const engine = this.engine;
    const staged = this.staged;
    const promise = staged ? staged.stage(target, this.settings.maxModelBytes).then((files) => engine.load(files)) : engine.load(target);
    const attempt: LoadAttempt = { target, cancelled, promise };
    this.attempt = attempt;
    this.loadingChanged.fire(name);
    if (progress === 'notification') this.notifyProgress(attempt);
    else showLoadInStatusBar(name, attempt.promise);
    attempt.promise
      .then(
        (info) => {
          this.log.info(loadedLine(info, performance.now() - started));
          for (const note of info.notes) this.log.debug(`${info.name}: ${note}`);
          if (info.executionProvider) this.log[info.executionProvider.fallback ? 'warn' : 'info'](`Native ONNX Runtime: ${info.executionProvider.reason}`);
          if (info.backend !== this.backend.backend) {
            // The remote backend could not start (no adapter): the engine uses WebAssembly instead.
            this.backend = { backend: info.backend, reason: `WebAssembly: ${info.backendFallback ?? `${this.backend.backend} could not start`}` };
            this.log.warn(`Backend fell back to ${this.backend.reason}`);
            warnBackendFallback(this.backend.reason);
          }
          this.info = info;
          this.cache.clear();
          this.recent.remember(target);
          this.staged?.loaded(target);
          this.watcher?.dispose();
          // The web edition cannot watch files: its models are read once, when they load.
          this.watcher =
            this.staged || info.folder === this.defaultModelPath
              ? undefined
              : watchModelFiles(
                  info,
                  this.log,
                  () => this.info !== info,
                  () => this.startLoading(target),
                );
          this.changed.fire(info);
        },
        (e: unknown) => {
          attempt.failed = e instanceof ModelLensError ? e : new ModelLensError({ code: 'load-failed', message: String(e) });
          this.log.error(`Loading ${target} failed after ${formatDuration(performance.now() - started)} (${attempt.failed.code}).`);
          void reportLoadFailure(attempt.failed, this.info?.name);
        },
      )
      .finally(() => {
        attempt.settled = true;
        cancelled.dispose();
        if (this.attempt === attempt) this.loadingChanged.fire(undefined);
      });
    return attempt;
  }

  /** The load's progress notification (see loadProgress.ts); cancelling it releases everyone waiting. */
  private notifyProgress(attempt: LoadAttempt): void {
    attempt.notified = true;
    notifyLoadProgress(path.basename(attempt.target), attempt.promise, this.log, () => attempt.cancelled.cancel());
  }

  /** Analyses text with the current model; identical requests are answered from the cache. */
  async analyze(text: string, options: AnalyzeOptions, token?: vscode.CancellationToken, progress: LoadProgress = 'notification'): Promise<Analysis> {
    const info = await this.ensureLoaded(token, progress);
    const { analysis, cached } = await this.cache.answer(info.file, text, options, async () => {
      const started = performance.now();
      const analysis = await withSignal(token, (signal) => this.engine.analyze(text, options, signal));
      this.log.trace(`Analysed ${text.length} characters (${analysis.tokens.length} tokens) in ${formatDuration(performance.now() - started)}.`);
      this.noticeFallback(analysis);
      return analysis;
    });
    if (cached) this.log.trace(`Analysis of ${text.length} characters answered from the cache.`);
    return analysis;
  }

  /** Runs of `text` with interventions, as a patching sweep makes them (never cached). */
  async interventionRuns(text: string, runs: Intervention[][], token?: vscode.CancellationToken): Promise<InterventionRuns> {
    await this.ensureLoaded(token);
    return withSignal(token, (signal) => this.engine.interventionRuns(text, runs, signal));
  }

  /**
   * The same text on the backend in use and on a fresh WebAssembly engine with the same model
   * (commands/backendComparison.ts).
   */
  async analyzeOnBothBackends(text: string, options: AnalyzeOptions): Promise<{ current: Analysis; reference: Analysis; backend: string }> {
    const info = await this.ensureLoaded();
    const target = this.attempt?.target ?? this.configuredTarget();
    const both = await analyzeOnBothBackends(this.engine, () => new EngineClient(this.engineOptions('wasm')), target, text, options);
    return { ...both, backend: info.backend };
  }

  /** A webview found a WebGPU adapter: with `auto`, a hardware GPU becomes the backend. */
  reportGpuAdapter(adapter: GpuAdapterInfo): void {
    const known = this.gpuAdapter;
    this.gpuAdapter = adapter;
    if (!known) this.log.info(`A webview found a WebGPU adapter: ${describeAdapter(adapter)}${adapter.software ? ' (a software adapter)' : ''}.`);
    // The web edition runs WebAssembly whatever the GPU.
    if (known || adapter.software || this.settings.backend !== 'auto' || this.staged) return;
    this.restartEngine();
    this.cache.clear();
  }

  /** A new engine for changed settings or a newly found GPU; the model is loaded again when next needed. */
  private restartEngine(): void {
    this.engine.dispose();
    this.engine = this.createEngine();
    this.info = undefined;
    this.attempt = undefined;
  }

  /** The WebGPU backend failed and the engine moved to WebAssembly: say so, once. */
  private noticeFallback(analysis: Analysis): void {
    if (!this.info || analysis.backend === this.info.backend) return;
    const info = { ...this.info, backend: analysis.backend, backendFallback: analysis.backendFallback };
    this.info = info;
    this.backend = { backend: analysis.backend, reason: `WebAssembly: ${info.backendFallback ?? 'the WebGPU backend failed'}` };
    this.log.warn(`The WebGPU backend failed; ${info.name} now runs on ${this.backend.reason}`);
    warnWebGpuFailed(info.name);
    this.changed.fire(info);
  }

  dispose(): void {
    this.watcher?.dispose();
    this.engine.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** A promise that also rejects as "cancelled" when either token fires. */
function waitUnlessCancelled<T>(work: Promise<T>, ...tokens: (vscode.CancellationToken | undefined)[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cancelled = () => reject(new ModelLensError({ code: 'cancelled', message: 'Loading the model was cancelled.' }));
    const subscriptions = tokens.map((t) => t?.onCancellationRequested(cancelled));
    work.then(resolve, reject).finally(() => subscriptions.forEach((s) => s?.dispose()));
  });
}

/** Runs `work` with an AbortSignal that follows `token` (the engine speaks AbortSignal, VS Code CancellationToken). */
export async function withSignal<T>(token: vscode.CancellationToken | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const subscription = token?.onCancellationRequested(() => controller.abort());
  try {
    return await work(controller.signal);
  } finally {
    subscription?.dispose();
  }
}
