// The extension's settings, read in one place (and the model path, the one setting Model Lens writes). Every value is brought within its schema in
// package.json (settingsSchema.ts), and in Restricted Mode the workspace's values of the restricted
// settings are ignored: a workspace must not choose the file the editor loads, nor the threads and
// memory it spends, nor the device and native libraries it runs on, nor a server the text of its
// files is sent to.
import * as vscode from 'vscode';
import type { ExecutionProviderSetting } from '../engine/executionProviders';
import { booleanSetting, effectiveValue, enumSetting, numberSetting, SECTION, stringSetting, workspaceLevel } from './settingsSchema';

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
  /** The native backend's execution provider. */
  nativeExecutionProvider: ExecutionProviderSetting;
  maxModelBytes: number;
  /** What a request may take on a small model and a short text (the engine scales it up). */
  requestTimeoutMs: number;
  hoverEnabled: boolean;
  /** Base URL of a completions server that gives token probabilities instead of the local model; empty: none. */
  remoteEndpoint: string;
  /** The model to ask that server for; empty: the one it lists. */
  remoteModel: string;
  remoteWindowsInFlight: number;
  /** Base URL of the Hugging Face Hub (or a mirror) that Download Model… uses; empty: HF_ENDPOINT, else huggingface.co. */
  hubEndpoint: string;
}

const MB = 1024 * 1024;

/** The settings; for a document (`scope`), with its language's overrides (`"[markdown]": { … }`). */
export function readSettings(scope?: vscode.ConfigurationScope): Settings {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  const trusted = vscode.workspace.isTrusted;
  const value = (key: string): unknown => effectiveValue(key, config.inspect(key) ?? {}, trusted);
  const inspected = config.inspect('modelPath') ?? {};
  const workspacePath = stringSetting('modelPath', workspaceLevel(inspected));
  const modelPath = stringSetting('modelPath', value('modelPath'));
  return {
    modelPath,
    modelPathSource: !modelPath ? 'default' : trusted && workspacePath ? 'workspace' : 'user',
    ignoredWorkspaceModelPath: workspacePath && !trusted ? workspacePath : undefined,
    maxTokens: numberSetting('maxTokens', value('maxTokens')),
    threads: numberSetting('threads', value('threads')),
    backend: enumSetting<BackendSetting>('backend', value('backend')),
    nativeExecutionProvider: enumSetting<ExecutionProviderSetting>('native.executionProvider', value('native.executionProvider')),
    maxModelBytes: numberSetting('maxModelSizeMB', value('maxModelSizeMB')) * MB,
    requestTimeoutMs: numberSetting('requestTimeoutSeconds', value('requestTimeoutSeconds')) * 1000,
    hoverEnabled: booleanSetting('hover.enabled', value('hover.enabled')),
    remoteEndpoint: stringSetting('remote.endpoint', value('remote.endpoint')).trim(),
    remoteModel: stringSetting('remote.model', value('remote.model')).trim(),
    remoteWindowsInFlight: numberSetting('remote.windowsInFlight', value('remote.windowsInFlight')),
    hubEndpoint: stringSetting('hub.endpoint', value('hub.endpoint')).trim(),
  };
}

/** Whether a configuration change touches one of our settings. */
export function affects(event: vscode.ConfigurationChangeEvent, ...keys: string[]): boolean {
  return keys.some((key) => event.affectsConfiguration(`${SECTION}.${key}`));
}

/** Makes a model the configured one (user settings), which loads it; '' is the default model. */
export async function useModel(target: string): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION).update('modelPath', target, vscode.ConfigurationTarget.Global);
}
