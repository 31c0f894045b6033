// The rules a setting's value must follow before the extension uses it, read from the schema in
// package.json so that each bound is written once. VS Code's settings editor only warns about a
// value outside its schema and hands it to the extension all the same, and a workspace's
// .vscode/settings.json is text anyone who made the repository could write: `threads: 512` would
// start 512 ONNX Runtime threads on the first hover, `maxModelSizeMB: 0` would turn the size check off.
// Pure (no `vscode` import), so that it is unit-tested against the real package.json.
import manifest from '../../package.json';

export const SECTION = 'modelLens';

interface PropertySchema {
  type?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  enum?: readonly string[];
}

const PROPERTIES: Readonly<Record<string, PropertySchema>> = manifest.contributes.configuration.properties;

/**
 * Settings whose workspace values Restricted Mode ignores: the ones that choose what is loaded,
 * what it runs on (the backend and the native execution provider, which loads GPU drivers'
 * libraries), or how much memory and how many threads it may take (package.json's
 * restrictedConfigurations, which also makes VS Code's settings editor mark them).
 */
const RESTRICTED: ReadonlySet<string> = new Set(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations);

/** A setting's values at each level, as `WorkspaceConfiguration.inspect` gives them. */
export interface InspectedSetting {
  defaultValue?: unknown;
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

function schema(key: string): PropertySchema {
  const property = PROPERTIES[`${SECTION}.${key}`];
  if (!property) throw new Error(`${SECTION}.${key} is not a setting in package.json`);
  return property;
}

export function isRestricted(key: string): boolean {
  return RESTRICTED.has(`${SECTION}.${key}`);
}

/** The workspace's own value of a setting (a folder's overrides the workspace file's). */
export function workspaceLevel(inspected: InspectedSetting): unknown {
  return inspected.workspaceFolderValue ?? inspected.workspaceValue;
}

/**
 * The value a setting takes: the most specific level that sets it, except that in Restricted Mode
 * a restricted setting skips the workspace levels.
 */
export function effectiveValue(key: string, inspected: InspectedSetting, trusted: boolean): unknown {
  const workspace = trusted || !isRestricted(key) ? workspaceLevel(inspected) : undefined;
  return workspace ?? inspected.globalValue ?? inspected.defaultValue ?? schema(key).default;
}

/**
 * A number setting within its schema's bounds. Anything that is not a finite number takes the
 * default; an integer setting is rounded.
 */
export function numberSetting(key: string, value: unknown): number {
  const s = schema(key);
  if (typeof value !== 'number' || !Number.isFinite(value)) return s.default as number;
  const n = s.type === 'integer' ? Math.round(value) : value;
  return Math.min(s.maximum ?? Infinity, Math.max(s.minimum ?? -Infinity, n));
}

/** One of the schema's choices; anything else takes the default. */
export function enumSetting<T extends string>(key: string, value: unknown): T {
  const s = schema(key);
  return (typeof value === 'string' && s.enum?.includes(value) ? value : s.default) as T;
}

export function stringSetting(key: string, value: unknown): string {
  return typeof value === 'string' ? value : (schema(key).default as string);
}

export function booleanSetting(key: string, value: unknown): boolean {
  return typeof value === 'boolean' ? value : (schema(key).default as boolean);
}
