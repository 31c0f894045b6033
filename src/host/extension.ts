// Wires Model Lens together; every feature lives in its own module.
import * as vscode from 'vscode';
import { compareBackends } from './commands/compareBackends';
import { DownloadModel, SET_HUB_TOKEN_COMMAND } from './commands/downloadModel';
import { selectModel } from './commands/selectModel';
import { ExplainAttention, type ExplainArgs } from './commands/explainAttention';
import { ComparePatching } from './commands/patching';
import { WalkTransformer } from './commands/walkTransformer';
import { WhyThisToken } from './commands/whyThisToken';
import { AblationDecorations } from './decorations/ablationDecorations';
import { AblationEffects } from './decorations/ablationEffect';
import { AttentionHighlights } from './decorations/attentionHighlights';
import { SourceHighlights } from './decorations/sourceHighlights';
import { TokenHeatmap } from './decorations/tokenHeatmap';
import { TokenHoverProvider } from './hover/hoverProvider';
import { createLog, SHOW_LOG_COMMAND, showLog } from './log';
import { ModelManager } from './modelManager';
import { ATTENTION_VIEW_TYPE, AttentionPanels } from './panels/attentionPanel';
import { PATCHING_VIEW_TYPE } from './panels/patchingPanel';
import { WALK_VIEW_TYPE, WalkPanel } from './panels/walkPanel';
import { WHY_VIEW_TYPE, WhyPanel } from './panels/whyPanel';
import { TokenProbabilities } from './probabilities/tokenProbabilities';
import { RemoteProbabilities, SET_API_KEY_COMMAND } from './remote/remoteProbabilities';
import { ModelStatusBar } from './statusBar';
import { GpuBackend } from './webgpu/gpuBackend';
import { SIDE_VIEW_ID, SidePanel } from './views/sidePanel';

/** Documents the hover and heatmap work on: files on disk and untitled buffers. */
const TEXT_DOCUMENTS: vscode.DocumentSelector = [{ scheme: 'file' }, { scheme: 'untitled' }];

export function activate(context: vscode.ExtensionContext): void {
  const log = createLog();
  const gpu = new GpuBackend(context.extensionUri);
  const models = new ModelManager(context, gpu, log);
  const highlights = new AttentionHighlights();
  // What heads switched off in an attention panel did, for the hover, the editor and the heatmap.
  const ablation = new AblationEffects(models.onDidChangeModel);
  const panels = new AttentionPanels(
    context.extensionUri,
    highlights,
    (adapter) => models.reportGpuAdapter(adapter),
    (text, options, token) => models.analyze(text, options, token),
    ablation,
  );
  const explain = new ExplainAttention(models, panels);
  const patching = new ComparePatching(models, context.extensionUri);
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
  // Token probabilities from a server when modelLens.remote.endpoint is set; the local model otherwise.
  const remote = new RemoteProbabilities(context.secrets, log);
  const probabilities = new TokenProbabilities(models, remote);
  const heatmap = new TokenHeatmap(probabilities, ablation);
  const sidePanel = new SidePanel(context.extensionUri, models);
  // Models from the Hugging Face Hub, only when the user picks one in Download Model….
  const download = new DownloadModel(context.globalStorageUri.fsPath, context.secrets, log);
  context.subscriptions.push(
    log,
    vscode.commands.registerCommand(SHOW_LOG_COMMAND, () => showLog()),
    gpu,
    models,
    highlights,
    ablation,
    new AblationDecorations(ablation),
    panels,
    remote,
    vscode.commands.registerCommand(SET_API_KEY_COMMAND, () => remote.setApiKey()),
    probabilities,
    heatmap,
    sidePanel,
    vscode.window.registerWebviewViewProvider(SIDE_VIEW_ID, sidePanel),
    vscode.commands.registerCommand('modelLens.openSidePanel', () => vscode.commands.executeCommand(`${SIDE_VIEW_ID}.focus`)),
    new ModelStatusBar(models, probabilities, remote, heatmap),
    vscode.commands.registerCommand('modelLens.explainAttention', (args?: ExplainArgs) => explain.run(args)),
    // The attention panel's title bar.
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
    vscode.commands.registerCommand('modelLens.compareBackends', () => compareBackends(models)),
    vscode.commands.registerCommand('modelLens.selectModel', () => selectModel(models, download)),
    vscode.commands.registerCommand('modelLens.downloadModel', () => download.run()),
    vscode.commands.registerCommand(SET_HUB_TOKEN_COMMAND, () => download.setToken()),
    patching,
    vscode.commands.registerCommand('modelLens.comparePatching', () => patching.run()),
    vscode.commands.registerTextEditorCommand('modelLens.showTokenHeatmap', (editor) => heatmap.show(editor)),
    vscode.commands.registerCommand('modelLens.clearTokenHeatmap', () => heatmap.clear(undefined)),
    vscode.window.registerWebviewPanelSerializer(ATTENTION_VIEW_TYPE, panels.serializer(explain.restore)),
    vscode.window.registerWebviewPanelSerializer(WHY_VIEW_TYPE, whyPanel.serializer(why.restore)),
    vscode.window.registerWebviewPanelSerializer(WALK_VIEW_TYPE, walkPanel.serializer(walk.restore)),
    vscode.window.registerWebviewPanelSerializer(PATCHING_VIEW_TYPE, patching.serializer()),
    vscode.languages.registerHoverProvider(TEXT_DOCUMENTS, new TokenHoverProvider(models, probabilities, ablation)),
  );
}

export function deactivate(): void {}
