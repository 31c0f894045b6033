// The extension's token probabilities (what the hover, the heatmap and the status bar read) with
// modelLens.remote.endpoint set, against a completions server on 127.0.0.1 that answers from the
// default model: a document scored windowsInFlight windows at a time, as the local model scores it;
// nothing stale kept when the key, the settings or the text change meanwhile; the API key sent
// only to the server it was set for; a failure shown once, and not asked again; and no request at
// all with the endpoint empty, or set only by an untrusted workspace. VS Code is a small stand-in.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import * as vscode from 'vscode';
import { LoadedModel } from '../../src/engine/loadedModel';
import type { AnalyzeOptions } from '../../src/engine/types';
import type { ModelManager } from '../../src/host/modelManager';
import { planWindow, type TokenInfo, type WindowPlan } from '../../src/host/probabilities/documentWindows';
import { windowTokens } from '../../src/host/probabilities/tokenInfo';
import { TokenProbabilities } from '../../src/host/probabilities/tokenProbabilities';
import { RemoteProbabilities } from '../../src/host/remote/remoteProbabilities';
import { remoteBudget, REMOTE_TOP_K } from '../../src/host/remote/remoteWindows';
import { startCompletionsServer, type CompletionsServer } from '../helpers/completionsServer';
import { DEFAULT_MODEL, ROOT } from '../helpers/paths';
import { textLines } from '../helpers/textLines';

vi.mock('vscode', () => {
  class EventEmitter<T> {
    private readonly listeners = new Set<(e: T) => void>();
    readonly event = (listener: (e: T) => void) => {
      this.listeners.add(listener);
      return { dispose: () => this.listeners.delete(listener) };
    };
    fire(e: T): void {
      for (const l of [...this.listeners]) l(e);
    }
    dispose(): void {
      this.listeners.clear();
    }
  }
  class Position {
    constructor(
      readonly line: number,
      readonly character: number,
    ) {}
  }
  class Range {
    constructor(
      readonly start: Position,
      readonly end: Position,
    ) {}
  }
  const world = {
    trusted: true,
    user: {} as Record<string, unknown>,
    workspace: {} as Record<string, unknown>,
    configChanged: new EventEmitter<{ affectsConfiguration(section: string): boolean }>(),
    documentChanged: new EventEmitter<unknown>(),
    documentClosed: new EventEmitter<unknown>(),
  };
  return {
    version: 'test',
    EventEmitter,
    Position,
    Range,
    workspace: {
      get isTrusted() {
        return world.trusted;
      },
      getConfiguration: () => ({ inspect: (key: string) => ({ globalValue: world.user[key], workspaceValue: world.workspace[key] }) }),
      onDidChangeConfiguration: world.configChanged.event,
      onDidGrantWorkspaceTrust: new EventEmitter<void>().event,
      onDidChangeTextDocument: world.documentChanged.event,
      onDidCloseTextDocument: world.documentClosed.event,
    },
    window: {
      showErrorMessage: vi.fn(async () => undefined),
      showInformationMessage: vi.fn(async () => undefined),
      showInputBox: vi.fn(async () => undefined),
    },
    commands: { executeCommand: vi.fn(async () => undefined) },
    world,
  };
});

interface World {
  trusted: boolean;
  user: Record<string, unknown>;
  workspace: Record<string, unknown>;
  configChanged: vscode.EventEmitter<{ affectsConfiguration(section: string): boolean }>;
  documentChanged: vscode.EventEmitter<unknown>;
}
const world = (vscode as unknown as { world: World }).world;
const showError = vscode.window.showErrorMessage as unknown as ReturnType<typeof vi.fn>;

const SAMPLE = fs.readFileSync(path.join(ROOT, 'test', 'e2e', 'workspace', 'sample.ts'), 'utf8');
const MODEL_NAME = 'lens-tiny';
const API_KEY = 'sk-test-key';
const CONTEXT = 512;

/** VS Code's secret storage, in memory. */
class Secrets {
  readonly values = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<{ key: string }>();
  readonly onDidChange = this.changed.event;
  async get(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }
  async store(key: string, value: string): Promise<void> {
    this.values.set(key, value);
    this.changed.fire({ key });
  }
  async delete(key: string): Promise<void> {
    this.values.delete(key);
    this.changed.fire({ key });
  }
}

/** A text document over a string, with a version an edit can bump. */
function documentOf(text: string, uri: string) {
  const { starts, lineOf } = textLines(text);
  const offsetAt = (p: vscode.Position) => Math.min(text.length, starts[p.line] + p.character);
  const doc = {
    uri: { toString: () => uri },
    version: 1,
    lineCount: starts.length,
    lineAt: (line: number) => ({ range: { end: new vscode.Position(line, (starts[line + 1] ?? text.length + 1) - 1 - starts[line]) } }),
    offsetAt,
    positionAt: (offset: number) => new vscode.Position(lineOf(offset), offset - starts[lineOf(offset)]),
    getText: (range: vscode.Range) => text.slice(offsetAt(range.start), offsetAt(range.end)),
  };
  return doc as typeof doc & vscode.TextDocument;
}

function log(): vscode.LogOutputChannel {
  return { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn(), trace: vi.fn() } as unknown as vscode.LogOutputChannel;
}

function changeSettings(values: Record<string, unknown>, level: 'user' | 'workspace' = 'user'): void {
  Object.assign(world[level], values);
  world.configChanged.fire({ affectsConfiguration: (section) => Object.keys(values).some((key) => `modelLens.${key}`.startsWith(section)) });
}

let model: LoadedModel;
let server: CompletionsServer;
let documents = 0;
const localRuns: string[] = [];

/** The local model as ModelManager offers it; it counts the texts it is given. */
const models = {
  onDidChangeModel: new vscode.EventEmitter<unknown>().event,
  current: undefined,
  analyze: (text: string, options: AnalyzeOptions) => {
    localRuns.push(text);
    return model.analyze(text, options);
  },
} as unknown as ModelManager;

function setUp(): { secrets: Secrets; remote: RemoteProbabilities; probabilities: TokenProbabilities; doc: ReturnType<typeof documentOf> } {
  const secrets = new Secrets();
  const remote = new RemoteProbabilities(secrets as unknown as vscode.SecretStorage, log());
  const probabilities = new TokenProbabilities(models, remote);
  return { secrets, remote, probabilities, doc: documentOf(SAMPLE, `file:///sample-${++documents}.ts`) };
}

/** The windows the extension plans for this server, scored by the local model. */
async function localTokens(): Promise<TokenInfo[]> {
  const starts = [0];
  for (let i = 0; i < SAMPLE.length; i++) if (SAMPLE[i] === '\n') starts.push(i + 1);
  const lineOf = (o: number) => starts.filter((s) => s <= o).length - 1;
  const shape = { length: SAMPLE.length, lineStart: (o: number) => starts[lineOf(o)], nextLineStart: (o: number) => starts[lineOf(o) + 1] ?? SAMPLE.length };
  const plans: WindowPlan[] = [];
  for (let offset = 0; offset < SAMPLE.length; offset = plans.at(-1)!.ownedEnd) plans.push(planWindow(shape, offset, plans, remoteBudget(CONTEXT)));
  const out: TokenInfo[] = [];
  for (const plan of plans) out.push(...windowTokens(await model.analyze(SAMPLE.slice(plan.contextStart, plan.ownedEnd), { topK: REMOTE_TOP_K }), plan));
  return out;
}

beforeAll(async () => {
  model = await LoadedModel.load(DEFAULT_MODEL, { backend: 'wasm', threads: 1 });
  server = await startCompletionsServer(model, { name: MODEL_NAME, apiKey: API_KEY, context: CONTEXT });
});

afterAll(() => server?.close());

beforeEach(() => {
  server.reset();
  localRuns.length = 0;
  showError.mockClear();
  world.trusted = true;
  world.user = {};
  world.workspace = {};
});

/** Until the server holds a completions request. */
async function requestArrived(): Promise<void> {
  while (server.state.open === 0) await new Promise((r) => setTimeout(r, 5));
}

async function withServer(windowsInFlight = 4) {
  const setup = setUp();
  changeSettings({ 'remote.endpoint': `${server.endpoint}/v1`, 'remote.model': MODEL_NAME, 'remote.windowsInFlight': windowsInFlight });
  await setup.secrets.store(`modelLens.remote.apiKey:${server.endpoint}`, API_KEY);
  return setup;
}

describe('token probabilities from a server', () => {
  it('scores a whole document windowsInFlight windows at a time, as the local model scores it', async () => {
    const { probabilities, remote, doc } = await withServer(3);
    // Long enough for the requests sent together to arrive while the first is held.
    server.state.delayMs = 150;
    const tokens = await probabilities.tokensIn(doc, 0, SAMPLE.length);
    const local = await localTokens();
    expect(tokens.map((t) => [t.start, t.end, t.text])).toEqual(local.map((t) => [t.start, t.end, t.text]));
    tokens.forEach((t, i) => (Number.isNaN(local[i].prob) ? expect(t.prob).toBeNaN() : expect(Math.abs(t.prob - local[i].prob)).toBeLessThanOrEqual(1e-6)));
    expect(tokens.every((t) => t.remote?.model === MODEL_NAME && t.remote.server === `${server.endpoint}/v1`)).toBe(true);
    expect(server.state.completions).toBeGreaterThan(3);
    expect(server.state.mostOpen).toBe(3);
    expect(localRuns).toEqual([]);
    expect(remote.serving).toEqual({ model: MODEL_NAME, server: `${server.endpoint}/v1` });
    // The hover finds what is cached.
    const asked = server.state.completions;
    expect(probabilities.cachedTokenAt(doc, 500)?.remote?.model).toBe(MODEL_NAME);
    expect((await probabilities.tokenAt(doc, 700))?.prob).toBeGreaterThan(0);
    expect(server.state.completions).toBe(asked);
  });

  it('scores only the window under a hover', async () => {
    const { probabilities, doc } = await withServer();
    const token = await probabilities.tokenAt(doc, 600);
    expect(token && token.start <= 600 && 600 < token.end).toBe(true);
    expect(server.state.completions).toBe(1);
  });

  it('keeps nothing that was on its way when the API key changes, and scores again with the new one', async () => {
    const { probabilities, secrets, doc } = await withServer();
    server.state.delayMs = 300;
    const work = probabilities.tokensIn(doc, 0, SAMPLE.length);
    await requestArrived();
    await secrets.store(`modelLens.remote.apiKey:${server.endpoint}`, API_KEY);
    await expect(work).rejects.toMatchObject({ kind: 'cancelled' });
    await new Promise((r) => setTimeout(r, 400));
    expect(probabilities.cachedTokenAt(doc, 10)).toBeUndefined();
    server.state.delayMs = 0;
    expect((await probabilities.tokensIn(doc, 0, SAMPLE.length)).length).toBeGreaterThan(100);
    // A cancellation is no failure to show.
    expect(showError).not.toHaveBeenCalled();
  });

  it('drops a window whose text was edited while the server scored it', async () => {
    const { probabilities, doc } = await withServer();
    server.state.delayMs = 200;
    const work = probabilities.tokenAt(doc, 100);
    await requestArrived();
    doc.version = 2;
    world.documentChanged.fire({ document: doc, contentChanges: [] });
    expect(await work).toBeUndefined();
    expect(probabilities.cachedTokenAt(doc, 100)).toBeUndefined();
  });

  it('sends the API key only to the server it was set for; a refusal is shown once and not asked again', async () => {
    const { probabilities, secrets, doc } = setUp();
    await secrets.store('modelLens.remote.apiKey:http://127.0.0.1:1', API_KEY);
    changeSettings({ 'remote.endpoint': server.endpoint, 'remote.model': MODEL_NAME });
    await expect(probabilities.tokensIn(doc, 0, 200)).rejects.toMatchObject({ kind: 'auth' });
    expect(showError).toHaveBeenCalledTimes(1);
    const [message, ...actions] = showError.mock.calls[0] as string[];
    expect(message).toContain(server.endpoint);
    expect(message).toMatch(/refused the API key/);
    expect(actions).toContain('Set API Key');
    const requests = server.state.requests;
    await expect(probabilities.tokenAt(doc, 300)).rejects.toMatchObject({ kind: 'auth' });
    expect(server.state.requests).toBe(requests);
    expect(showError).toHaveBeenCalledTimes(1);
    // With the key set for this server, it works.
    await secrets.store(`modelLens.remote.apiKey:${server.endpoint}`, API_KEY);
    expect((await probabilities.tokenAt(doc, 300))?.remote?.model).toBe(MODEL_NAME);
  });

  it('shows an answer for another model as an error, and keeps none of it', async () => {
    const { probabilities, doc } = await withServer();
    server.state.answerModel = 'another-model';
    await expect(probabilities.tokensIn(doc, 0, 200)).rejects.toMatchObject({ kind: 'wrong-model' });
    expect(probabilities.cachedTokenAt(doc, 10)).toBeUndefined();
    expect(String(showError.mock.calls[0][0])).toMatch(/answered for the model "another-model", not "lens-tiny"/);
  });
});

describe('no request to a server', () => {
  it('while modelLens.remote.endpoint is empty', async () => {
    const { probabilities, doc } = setUp();
    const tokens = await probabilities.tokensIn(doc, 0, 200);
    expect(tokens.length).toBeGreaterThan(10);
    expect(tokens.every((t) => t.remote === undefined)).toBe(true);
    expect(localRuns.length).toBeGreaterThan(0);
    expect(server.state.requests).toBe(0);
  });

  it('when only an untrusted workspace sets the endpoint (Restricted Mode)', async () => {
    world.trusted = false;
    const { probabilities, secrets, doc } = setUp();
    await secrets.store(`modelLens.remote.apiKey:${server.endpoint}`, API_KEY);
    changeSettings({ 'remote.endpoint': server.endpoint }, 'workspace');
    const tokens = await probabilities.tokensIn(doc, 0, 200);
    expect(tokens.every((t) => t.remote === undefined)).toBe(true);
    expect(server.state.requests).toBe(0);
  });
});
