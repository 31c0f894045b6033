// Wires Model Lens together; every feature lives in its own module.
import * as vscode from 'vscode';
import { compareBackends } from './commands/compareBackends';
import { DownloadModel, SET_HUB_TOKEN_COMMAND } from './commands/downloadModel';
import { selectModel } from './commands/selectModel';
import { ComparePatching } from './commands/patching';
import { createLog, SHOW_LOG_COMMAND, showLog } from './log';
import { ModelManager } from './modelManager';
import { registerModelViews } from './modelViews';
import { PATCHING_VIEW_TYPE } from './panels/patchingPanel';
import { TokenProbabilities } from './probabilities/tokenProbabilities';
import { RemoteProbabilities, SET_API_KEY_COMMAND } from './remote/remoteProbabilities';
import { GpuBackend } from './webgpu/gpuBackend';
import { SIDE_VIEW_ID, SidePanel } from './views/sidePanel';

/** Documents the hover and heatmap work on: files on disk and untitled buffers. */
const TEXT_DOCUMENTS: vscode.DocumentSelector = [{ scheme: 'file' }, { scheme: 'untitled' }];

export function activate(context: vscode.ExtensionContext): void {
  const log = createLog();
  const gpu = new GpuBackend(context.extensionUri);
  const models = new ModelManager(context, gpu, log);
  const patching = new ComparePatching(models, context.extensionUri);
  // Token probabilities from a server when modelLens.remote.endpoint is set; the local model otherwise.
  const remote = new RemoteProbabilities(context.secrets, log);
  registerModelViews(context, models, new TokenProbabilities(models, remote), TEXT_DOCUMENTS, remote);
  const sidePanel = new SidePanel(context.extensionUri, models);
  // Models from the Hugging Face Hub, only when the user picks one in Download Model….
  const download = new DownloadModel(context.globalStorageUri.fsPath, context.secrets, log);
  context.subscriptions.push(
    log,
    vscode.commands.registerCommand(SHOW_LOG_COMMAND, () => showLog()),
    gpu,
    models,
    remote,
    vscode.commands.registerCommand(SET_API_KEY_COMMAND, () => remote.setApiKey()),
    sidePanel,
    vscode.window.registerWebviewViewProvider(SIDE_VIEW_ID, sidePanel),
    vscode.commands.registerCommand('modelLens.openSidePanel', () => vscode.commands.executeCommand(`${SIDE_VIEW_ID}.focus`)),
    vscode.commands.registerCommand('modelLens.compareBackends', () => compareBackends(models)),
    vscode.commands.registerCommand('modelLens.selectModel', () => selectModel(models, download)),
    vscode.commands.registerCommand('modelLens.downloadModel', () => download.run()),
    vscode.commands.registerCommand(SET_HUB_TOKEN_COMMAND, () => download.setToken()),
    patching,
    vscode.commands.registerCommand('modelLens.comparePatching', () => patching.run()),
    vscode.window.registerWebviewPanelSerializer(PATCHING_VIEW_TYPE, patching.serializer()),
  );
}

export function deactivate(): void {}
