// The check of what the host sends a one-view panel (webview/shared/viewMessages.ts), and the
// step-by-step panel's use of it.
import { describe, expect, it } from 'vitest';
import { viewMessageGuard } from '../../../webview/shared/viewMessages';
import { isToWalkPanel } from '../../../webview/walk/messages';

describe('a one-view panel’s messages', () => {
  const isMessage = viewMessageGuard<{ id: number }>((v) => v.id === 1);

  it('accepts loading, error and a show whose view passes', () => {
    expect(isMessage({ type: 'loading', text: 'x' })).toBe(true);
    expect(isMessage({ type: 'error', message: 'x' })).toBe(true);
    expect(isMessage({ type: 'show', view: { id: 1 } })).toBe(true);
  });

  it('drops anything else', () => {
    expect(isMessage({ type: 'show', view: { id: 2 } })).toBe(false);
    expect(isMessage({ type: 'show', view: null })).toBe(false);
    expect(isMessage({ type: 'loading', text: 1 })).toBe(false);
    expect(isMessage({ type: 'error' })).toBe(false);
    expect(isMessage({ type: 'focus' })).toBe(false);
    expect(isMessage('show')).toBe(false);
    expect(isMessage(undefined)).toBe(false);
  });
});

describe('the step-by-step panel’s messages', () => {
  const view = {
    id: 1,
    model: { layers: 1 },
    document: {},
    tokens: [{}, {}],
    position: 1,
    blocks: [{}],
    input: { h0: [] },
    output: { logits: new ArrayBuffer(4), top: [] },
    notes: [],
  };

  it('accepts a walk it can draw', () => {
    expect(isToWalkPanel({ type: 'show', view })).toBe(true);
    expect(isToWalkPanel({ type: 'loading', text: 'x' })).toBe(true);
  });

  it('drops a walk whose token or blocks are not there', () => {
    expect(isToWalkPanel({ type: 'show', view: { ...view, position: 2 } })).toBe(false);
    expect(isToWalkPanel({ type: 'show', view: { ...view, blocks: [] } })).toBe(false);
    expect(isToWalkPanel({ type: 'show', view: { ...view, output: { top: [] } } })).toBe(false);
    expect(isToWalkPanel({ type: 'show', view: { ...view, input: undefined } })).toBe(false);
  });
});
