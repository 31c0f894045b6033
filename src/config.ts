// The extension's settings, read in one place. In Restricted Mode a model path from workspace
// settings is ignored: a workspace must not make the editor load a file of its choosing.
import * as vscode from 'vscode';

export type BackendSetting = 'auto' | 'wasm' | 'native' | 'webgpu';

export interface Settings {
  /** Configured model folder or .onnx file; empty for the model that ships with the extension. */
  modelPath: string;
  /** Where modelPath came from, for messages. */
  modelPathSource: 'default' | 'user' | 'workspace';
  /** A workspace model path that Restricted Mode made us ignore. */
  ignoredWorkspaceModelPath?: string;
  maxTokens: number;
  threads: number;
  backend: BackendSetting;
  maxModelBytes: number;
  hoverEnabled: boolean;
}

export const SECTION = 'modelLens';

export function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const inspected = config.inspect<string>('modelPath');
  const userPath = inspected?.globalValue ?? '';
  const workspacePath = inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? '';
  const trusted = vscode.workspace.isTrusted;
  let modelPath = userPath;
  let modelPathSource: Settings['modelPathSource'] = userPath ? 'user' : 'default';
  if (workspacePath && trusted) {
    modelPath = workspacePath;
    modelPathSource = 'workspace';
  }
  return {
    modelPath,
    modelPathSource,
    ignoredWorkspaceModelPath: workspacePath && !trusted ? workspacePath : undefined,
    maxTokens: config.get<number>('maxTokens', 256),
    threads: config.get<number>('threads', 0),
    backend: config.get<BackendSetting>('backend', 'auto'),
    maxModelBytes: config.get<number>('maxModelSizeMB', 2048) * 1024 * 1024,
    hoverEnabled: config.get<boolean>('hover.enabled', true),
  };
}

/** Whether a configuration change touches one of our settings. */
export function affects(event: vscode.ConfigurationChangeEvent, ...keys: string[]): boolean {
  return keys.some((key) => event.affectsConfiguration(`${SECTION}.${key}`));
}
