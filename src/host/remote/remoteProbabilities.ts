// Token probabilities from a completions server (modelLens.remote.endpoint) for TokenProbabilities:
// a client for the current settings and API key, windows sized for the server's context, and each
// failure reported once. While the endpoint is empty nothing here touches the network.
//
// The API key lives in VS Code's secret storage under the server's origin, so it is only ever sent
// to the server it was entered for: a workspace that points the endpoint elsewhere (it can only in
// a trusted workspace) gets no key.
import * as vscode from 'vscode';
import { affects, readSettings, type Settings } from '../config';
import { showErrorWithLog } from '../log';
import type { Budget, TokenInfo, WindowPlan } from '../probabilities/documentWindows';
import { plainText } from '../text/untrusted';
import { CompletionsClient, parseEndpoint, RemoteError, type RemoteErrorKind } from './completionsClient';
import { remoteBudget, scoreWindow } from './remoteWindows';

export const SET_API_KEY_COMMAND = 'modelLens.setRemoteApiKey';
const KEY_PREFIX = 'modelLens.remote.apiKey:';
/** A request to a server waits at least this long, whatever modelLens.requestTimeoutSeconds says: a server's first answer may load its model. */
const MIN_TIMEOUT_MS = 60_000;
/** Failures the same request would meet again: nothing more is sent until the settings or the key change. */
const LASTING: ReadonlySet<RemoteErrorKind> = new Set(['config', 'auth', 'wrong-model', 'no-prompt-logprobs', 'top-k']);
const SETTINGS_ACTION = 'Open Settings';
const KEY_ACTION = 'Set API Key';

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

export class RemoteProbabilities implements vscode.Disposable {
  private settings: Settings;
  /** Bumped by every change of settings or key: work started before it is not used after it. */
  private generation = 0;
  private client: Promise<CompletionsClient> | undefined;
  private aborted = new AbortController();
  private lasting: RemoteError | undefined;
  /** Kinds of failure already shown in a notification since the last change (the log gets each). */
  private readonly reported = new Set<RemoteErrorKind>();
  private answering: { model: string; server: string } | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the server, model or key changed: every window scored before is stale. */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.settings = readSettings();
    this.disposables = [
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affects(e, 'remote.endpoint', 'remote.model', 'remote.windowsInFlight', 'requestTimeoutSeconds')) this.reset();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.reset()),
      secrets.onDidChange((e) => {
        if (e.key.startsWith(KEY_PREFIX)) this.reset();
      }),
      this.changed,
    ];
    this.describe();
  }

  /** Whether token probabilities come from a server. */
  get enabled(): boolean {
    return this.settings.remoteEndpoint !== '';
  }

  /** Windows of a document scored at once. */
  get windowsInFlight(): number {
    return this.settings.remoteWindowsInFlight;
  }

  /** The model and server that answered last, for the status bar. */
  get serving(): { model: string; server: string } | undefined {
    return this.enabled ? this.answering : undefined;
  }

  private describe(): void {
    const endpoint = this.settings.remoteEndpoint;
    if (!endpoint) return;
    this.log.info(`Token probabilities (hover, heatmap, perplexity) come from ${endpoint} (modelLens.remote.endpoint): the text they cover is sent to it.`);
    try {
      const url = new URL(parseEndpoint(endpoint).server);
      if (url.protocol === 'http:' && !isLoopback(url.hostname))
        this.log.warn(`${url.origin} is plain http: the text sent and the API key cross the network unencrypted. Use https for a server on another machine.`);
    } catch {
      // Reported when it is first used.
    }
  }

  private reset(): void {
    const was = this.settings.remoteEndpoint;
    this.settings = readSettings();
    this.generation++;
    // Requests for the old settings stop now; their answers would be stale.
    this.aborted.abort();
    this.aborted = new AbortController();
    this.client = undefined;
    this.lasting = undefined;
    this.reported.clear();
    this.answering = undefined;
    if (this.settings.remoteEndpoint !== was) {
      if (this.settings.remoteEndpoint) this.describe();
      else this.log.info('Token probabilities come from the local model again (modelLens.remote.endpoint is empty).');
    }
    this.changed.fire();
  }

  private clientFor(): Promise<CompletionsClient> {
    this.client ??= (async () => {
      const { endpoint, model, windowsInFlight, timeoutMs } = {
        endpoint: this.settings.remoteEndpoint,
        model: this.settings.remoteModel,
        windowsInFlight: this.settings.remoteWindowsInFlight,
        timeoutMs: Math.max(MIN_TIMEOUT_MS, this.settings.requestTimeoutMs),
      };
      const apiKey = await this.secrets.get(KEY_PREFIX + parseEndpoint(endpoint).origin);
      return new CompletionsClient({ endpoint, model, apiKey, inFlight: windowsInFlight, timeoutMs });
    })();
    return this.client;
  }

  /** The windows the server's model allows (GET /v1/models, once per settings). */
  budget(token?: vscode.CancellationToken): Promise<Budget> {
    return this.run(async (client, signal) => remoteBudget((await client.servedModel(signal)).contextTokens), token);
  }

  /** Scores a window of a document (its text, [plan.contextStart, plan.ownedEnd)) on the server. */
  analyse(text: string, plan: WindowPlan, token?: vscode.CancellationToken): Promise<TokenInfo[]> {
    return this.run(async (client, signal) => {
      const tokens = await scoreWindow(client, text, plan, signal);
      this.answering = tokens[0]?.remote ?? this.answering;
      return tokens;
    }, token);
  }

  private async run<T>(work: (client: CompletionsClient, signal: AbortSignal) => Promise<T>, token?: vscode.CancellationToken): Promise<T> {
    if (this.lasting) throw this.lasting;
    const generation = this.generation;
    const controller = new AbortController();
    const abort = () => controller.abort();
    const reset = this.aborted.signal;
    reset.addEventListener('abort', abort, { once: true });
    const cancelled = token?.onCancellationRequested(abort);
    try {
      const client = await this.clientFor();
      const result = await work(client, controller.signal);
      if (generation !== this.generation) throw new RemoteError('cancelled', 'The remote settings changed while the server answered.', client.server);
      return result;
    } catch (e) {
      const error = e instanceof RemoteError ? e : new RemoteError('config', e instanceof Error ? e.message : String(e), this.settings.remoteEndpoint);
      if (generation === this.generation && error.kind !== 'cancelled') this.report(error);
      throw error;
    } finally {
      reset.removeEventListener('abort', abort);
      cancelled?.dispose();
    }
  }

  /** A failure: in the log every time, in a notification once per kind until something changes. */
  private report(error: RemoteError): void {
    if (LASTING.has(error.kind)) this.lasting = error;
    if (this.reported.has(error.kind)) {
      this.log.warn(error.message);
      return;
    }
    this.reported.add(error.kind);
    const actions = error.kind === 'auth' ? [KEY_ACTION] : LASTING.has(error.kind) ? [SETTINGS_ACTION] : [];
    // The server's own words are in the message: shown as text.
    void showErrorWithLog(`Model Lens: ${plainText(error.message)}`, ...actions).then(async (choice) => {
      if (choice === KEY_ACTION) await vscode.commands.executeCommand(SET_API_KEY_COMMAND);
      if (choice === SETTINGS_ACTION) await vscode.commands.executeCommand('workbench.action.openSettings', 'modelLens.remote');
    });
  }

  /** Model Lens: Set Remote API Key…: the key for the configured server's origin, or none. */
  async setApiKey(): Promise<void> {
    const endpoint = this.settings.remoteEndpoint;
    if (!endpoint) {
      const choice = await vscode.window.showInformationMessage(
        'Model Lens: set modelLens.remote.endpoint to the server first; its API key is kept for that server only.',
        SETTINGS_ACTION,
      );
      if (choice) await vscode.commands.executeCommand('workbench.action.openSettings', 'modelLens.remote.endpoint');
      return;
    }
    let origin: string;
    try {
      origin = parseEndpoint(endpoint).origin;
    } catch (e) {
      await showErrorWithLog(`Model Lens: ${plainText(e instanceof Error ? e.message : String(e))}`, SETTINGS_ACTION);
      return;
    }
    const key = await vscode.window.showInputBox({
      title: `Model Lens: API key for ${plainText(origin)}`,
      prompt: `Sent only to ${plainText(origin)} (Authorization: Bearer …) and kept in VS Code's secret storage. Leave empty to remove it.`,
      password: true,
      ignoreFocusOut: true,
    });
    if (key === undefined) return;
    if (key.trim()) await this.secrets.store(KEY_PREFIX + origin, key.trim());
    else await this.secrets.delete(KEY_PREFIX + origin);
    this.log.info(`${key.trim() ? 'An API key was set' : 'The API key was removed'} for ${origin}.`);
  }

  dispose(): void {
    this.aborted.abort();
    for (const d of this.disposables) d.dispose();
  }
}
