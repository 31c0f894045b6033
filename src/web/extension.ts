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
import { ExplainAttention, type ExplainArgs } from '../host/commands/explainAttention';
import { WalkTransformer } from '../host/commands/walkTransformer';
import { WhyThisToken } from '../host/commands/whyThisToken';
import { AblationDecorations } from '../host/decorations/ablationDecorations';
import { AblationEffects } from '../host/decorations/ablationEffect';
import { AttentionHighlights } from '../host/decorations/attentionHighlights';
import { SourceHighlights } from '../host/decorations/sourceHighlights';
import { TokenHeatmap } from '../host/decorations/tokenHeatmap';
import { TokenHoverProvider } from '../host/hover/hoverProvider';
import { createLog, SHOW_LOG_COMMAND, showLog } from '../host/log';
import { ModelManager } from '../host/modelManager';
import { ATTENTION_VIEW_TYPE, AttentionPanels } from '../host/panels/attentionPanel';
import { WALK_VIEW_TYPE, WalkPanel } from '../host/panels/walkPanel';
import { WHY_VIEW_TYPE, WhyPanel } from '../host/panels/whyPanel';
import { TokenProbabilities } from '../host/probabilities/tokenProbabilities';
import { ModelStatusBar } from '../host/statusBar';
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
  const highlights = new AttentionHighlights();
  const ablation = new AblationEffects(models.onDidChangeModel);
  const panels = new AttentionPanels(
    context.extensionUri,
    highlights,
    (adapter) => models.reportGpuAdapter(adapter),
    (text, options, token) => models.analyze(text, options, token),
    ablation,
  );
  const explain = new ExplainAttention(models, panels);
  const sourceHighlights = new SourceHighlights();
  const whyPanel = new WhyPanel(context.extensionUri, sourceHighlights, {
    choose: (view, target, foil) => why.rechoose(view, target, foil),
    openHead: (view, layer, head) => why.openHead(view, layer, head),
  });
  const why = new WhyThisToken(models, whyPanel);
  const walkPanel = new WalkPanel(context.extensionUri, {
    pick: (view, position) => walk.pick(view, position),
    openHead: (view, layer, head) => walk.openHead(view, layer, head),
  });
  const walk = new WalkTransformer(models, walkPanel);
  const probabilities = new TokenProbabilities(models);
  const heatmap = new TokenHeatmap(probabilities, ablation);
  context.subscriptions.push(
    log,
    vscode.commands.registerCommand(SHOW_LOG_COMMAND, () => showLog()),
    models,
    highlights,
    ablation,
    new AblationDecorations(ablation),
    panels,
    probabilities,
    heatmap,
    new ModelStatusBar(models, probabilities, undefined, heatmap),
    // The status bar item's command: on the web, a model is chosen in the settings.
    vscode.commands.registerCommand('modelLens.selectModel', () => vscode.commands.executeCommand('workbench.action.openSettings', 'modelLens.modelPath')),
    vscode.commands.registerCommand('modelLens.explainAttention', (args?: ExplainArgs) => explain.run(args)),
    vscode.commands.registerCommand('modelLens.exportAttention', () => panels.exportShown()),
    vscode.commands.registerCommand('modelLens.pinAttentionPanel', () => panels.setPinned(true)),
    vscode.commands.registerCommand('modelLens.unpinAttentionPanel', () => panels.setPinned(false)),
    vscode.commands.registerCommand('modelLens.clearAttentionHighlights', () => highlights.clear()),
    sourceHighlights,
    whyPanel,
    vscode.commands.registerCommand('modelLens.whyThisToken', (args?: unknown) => why.run(args)),
    vscode.commands.registerCommand('modelLens.clearSourceHighlights', () => sourceHighlights.clear()),
    walkPanel,
    vscode.commands.registerCommand('modelLens.walkTransformer', (args?: unknown) => walk.run(args)),
    vscode.commands.registerTextEditorCommand('modelLens.showTokenHeatmap', (editor) => heatmap.show(editor)),
    vscode.commands.registerCommand('modelLens.clearTokenHeatmap', () => heatmap.clear(undefined)),
    vscode.window.registerWebviewPanelSerializer(ATTENTION_VIEW_TYPE, panels.serializer(explain.restore)),
    vscode.window.registerWebviewPanelSerializer(WHY_VIEW_TYPE, whyPanel.serializer(why.restore)),
    vscode.window.registerWebviewPanelSerializer(WALK_VIEW_TYPE, walkPanel.serializer(walk.restore)),
    vscode.languages.registerHoverProvider(TEXT_DOCUMENTS, new TokenHoverProvider(models, probabilities, ablation)),
  );
}

export function deactivate(): void {}
