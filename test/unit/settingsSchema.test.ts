// Settings are used only within the bounds package.json declares, and in Restricted Mode the
// workspace cannot set the ones that choose the model or what it spends.
import { describe, expect, it } from 'vitest';
import manifest from '../../package.json';
import { booleanSetting, effectiveValue, enumSetting, isRestricted, numberSetting, stringSetting } from '../../src/host/settingsSchema';

const HOSTILE_WORKSPACE = { threads: 512, maxModelSizeMB: 0, backend: 'native', modelPath: './evil', maxTokens: 1e9, 'hover.enabled': false };

function inspected(key: keyof typeof HOSTILE_WORKSPACE, user?: unknown) {
  return { defaultValue: manifest.contributes.configuration.properties[`modelLens.${key}`].default, globalValue: user, workspaceValue: HOSTILE_WORKSPACE[key] };
}

describe('numberSetting', () => {
  it('clamps to the schema of package.json', () => {
    expect(numberSetting('threads', 512)).toBe(64);
    expect(numberSetting('threads', -3)).toBe(0);
    expect(numberSetting('maxModelSizeMB', 0)).toBe(1);
    expect(numberSetting('maxModelSizeMB', 1e9)).toBe(16384);
    expect(numberSetting('maxTokens', 0)).toBe(1);
    expect(numberSetting('maxTokens', 10_000)).toBe(4096);
  });

  it('rounds integers and gives anything that is not a finite number the default', () => {
    expect(numberSetting('threads', 2.6)).toBe(3);
    for (const bad of ['512', NaN, Infinity, null, undefined, {}, [8]]) expect(numberSetting('threads', bad)).toBe(0);
    expect(numberSetting('maxModelSizeMB', '0')).toBe(2048);
  });
});

describe('other settings', () => {
  it('take the default when the value has the wrong type or is not a choice', () => {
    expect(enumSetting('backend', 'native')).toBe('native');
    expect(enumSetting('backend', 'cuda')).toBe('auto');
    expect(enumSetting('backend', 3)).toBe('auto');
    expect(stringSetting('modelPath', 42)).toBe('');
    expect(booleanSetting('hover.enabled', 'no')).toBe(true);
  });
});

describe('effectiveValue', () => {
  it('takes the workspace value in a trusted workspace', () => {
    expect(effectiveValue('threads', inspected('threads', 2), true)).toBe(512);
    expect(effectiveValue('modelPath', inspected('modelPath'), true)).toBe('./evil');
  });

  it('ignores the workspace value of every setting that chooses the model or what it spends in Restricted Mode', () => {
    expect(effectiveValue('threads', inspected('threads', 2), false)).toBe(2);
    expect(effectiveValue('threads', inspected('threads'), false)).toBe(0);
    expect(effectiveValue('maxModelSizeMB', inspected('maxModelSizeMB'), false)).toBe(2048);
    expect(effectiveValue('backend', inspected('backend'), false)).toBe('auto');
    expect(effectiveValue('modelPath', inspected('modelPath', '/models/gpt2'), false)).toBe('/models/gpt2');
    expect(effectiveValue('maxTokens', inspected('maxTokens'), false)).toBe(256);
    // Hovers spend nothing a user setting did not allow: the workspace may turn them off.
    expect(effectiveValue('hover.enabled', inspected('hover.enabled'), false)).toBe(false);
  });

  it('ignores a workspace’s server in Restricted Mode: it would receive the text of the workspace’s files', () => {
    const endpoint = { defaultValue: '', workspaceValue: 'http://attacker.example:8000' };
    expect(effectiveValue('remote.endpoint', endpoint, false)).toBe('');
    expect(effectiveValue('remote.endpoint', { ...endpoint, globalValue: 'http://localhost:8000' }, false)).toBe('http://localhost:8000');
    expect(effectiveValue('remote.endpoint', endpoint, true)).toBe('http://attacker.example:8000');
    expect(effectiveValue('remote.model', { defaultValue: '', workspaceValue: 'other' }, false)).toBe('');
    expect(effectiveValue('remote.windowsInFlight', { defaultValue: 4, workspaceValue: 32 }, false)).toBe(4);
    expect(numberSetting('remote.windowsInFlight', 1000)).toBe(32);
  });

  it('names the restricted settings in package.json, where VS Code reads them too', () => {
    for (const key of ['modelPath', 'backend', 'threads', 'maxModelSizeMB', 'maxTokens', 'remote.endpoint', 'remote.model', 'remote.windowsInFlight'])
      expect(isRestricted(key)).toBe(true);
    expect(isRestricted('hover.enabled')).toBe(false);
  });
});
