// The web edition of Model Lens (package.json "browser": dist/web/extension.js), for VS Code in a
// browser (vscode.dev, github.dev, code-server and Codespaces in a browser when the extension runs
// in the web worker extension host): no Node.js, so the engine runs in a Web Worker (webEngine.ts)
// on ONNX Runtime WebAssembly, and models are read through vscode.workspace.fs. It wires the
// features that need only the engine and webviews: the token probability hover, the heatmap and
// status bar, Explain Attention, Why This Token? and Walk Through the Transformer. What needs
// Node (the native backend, WebGPU's tab, Download Model…, a completions server, Compare Backends,
// Compare With Another Text, the side panel, watching model files) is the desktop's: the
// `modelLens.web` context key hides those commands.
import * as vscode from 'vscode';
import { createLog, SHOW_LOG_COMMAND, showLog } from '../host/log';
import { ModelManager } from '../host/modelManager';
import { registerModelViews } from '../host/modelViews';
import { TokenProbabilities } from '../host/probabilities/tokenProbabilities';
import { WebEngine } from './webEngine';

/** The context key package.json's `when` clauses hide the desktop's commands with. */
export const WEB_CONTEXT_KEY = 'modelLens.web';

/**
 * Documents the hover and heatmap work on: files on a local or remote file system, virtual
 * workspaces (github.dev's vscode-vfs), and untitled buffers.
 */
const TEXT_DOCUMENTS: vscode.DocumentSelector = ['file', 'untitled', 'vscode-remote', 'vscode-vfs', 'vscode-test-web'].map((scheme) => ({ scheme }));

/** What this extension host is, in words, from what it has: the log's first line. */
function hostDescription(): string {
  const g = globalThis as Record<string, unknown>;
  const has = (name: string) => (typeof g[name] === 'undefined' ? 'absent' : 'present');
  return `Web edition in the web worker extension host: Node.js (process) ${has('process')}, WebAssembly ${has('WebAssembly')}, Worker ${has('Worker')}, cross-origin isolated: ${g.crossOriginIsolated === true ? 'yes' : 'no'}.`;
}

export function activate(context: vscode.ExtensionContext): void {
  void vscode.commands.executeCommand('setContext', WEB_CONTEXT_KEY, true);
  const log = createLog();
  log.info(hostDescription());
  const models = new ModelManager(context, undefined, log, new WebEngine(context.extensionUri, log));
  registerModelViews(context, models, new TokenProbabilities(models), TEXT_DOCUMENTS);
  context.subscriptions.push(
    log,
    vscode.commands.registerCommand(SHOW_LOG_COMMAND, () => showLog()),
    models,
    // The status bar item's command: on the web, a model is chosen in the settings.
    vscode.commands.registerCommand('modelLens.selectModel', () => vscode.commands.executeCommand('workbench.action.openSettings', 'modelLens.modelPath')),
  );
}

export function deactivate(): void {}
