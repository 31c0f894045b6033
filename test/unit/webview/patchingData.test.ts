import { describe, expect, it } from 'vitest';
import { patchingScale, positionLabel, streamLabel } from '../../../webview/patching/patchingData';

describe('patching panel labels and scale', () => {
  it('names residual rows by the block they enter or leave', () => {
    expect(streamLabel('blocks.0.hook_resid_pre')).toBe('in L0');
    expect(streamLabel('blocks.3.hook_resid_post')).toBe('out L3');
    expect(streamLabel('not a hook')).toBe('not a hook');
  });

  it('shows both tokens where the texts differ', () => {
    expect(positionLabel(' a', ' a')).toBe('·a');
    expect(positionLabel(' +', ' -')).toBe('·+→·-');
    expect(positionLabel(undefined, 'x')).toBe('∅→x');
  });

  it('is symmetric around 0 and reaches at least 1', () => {
    expect(patchingScale(Float32Array.from([0.2, NaN]), Float32Array.from([0.5]))).toEqual({ kind: 'linear', range: { min: -1, max: 1 } });
    expect(patchingScale(Float32Array.from([-1.5, 1.2]))).toEqual({ kind: 'linear', range: { min: -1.5, max: 1.5 } });
  });
});
