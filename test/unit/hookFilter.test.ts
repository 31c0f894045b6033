import { describe, expect, it } from 'vitest';
import { hookFilter, hookGroups, hooks } from '../../src/shared/hooks';

describe('hookFilter', () => {
  it('takes names as they are, and * for any block', () => {
    const wanted = hookFilter([hooks.attn(1, 'pattern'), hooks.mlpPost('*'), hooks.embed]);
    expect(wanted('blocks.1.attn.hook_pattern')).toBe(true);
    expect(wanted('blocks.2.attn.hook_pattern')).toBe(false);
    expect(wanted('blocks.0.mlp.hook_post')).toBe(true);
    expect(wanted('blocks.11.mlp.hook_post')).toBe(true);
    expect(wanted('hook_embed')).toBe(true);
    expect(wanted('hook_pos_embed')).toBe(false);
  });

  it('does not read a dot in a name as any character, nor * as more than a block number', () => {
    const wanted = hookFilter([hooks.residPost('*')]);
    expect(wanted('blocks.3.hook_resid_post')).toBe(true);
    expect(wanted('blocksX3Xhook_resid_post')).toBe(false);
    expect(wanted('blocks.3.attn.hook_resid_post')).toBe(false);
    expect(wanted('blocks..hook_resid_post')).toBe(false);
  });

  it('wants nothing when given nothing', () => {
    expect(hookFilter([])('blocks.0.attn.hook_pattern')).toBe(false);
  });

  it('keeps the groups apart', () => {
    const attention = hookFilter(hookGroups.attention);
    expect(attention('blocks.0.attn.hook_z')).toBe(true);
    expect(attention('blocks.0.hook_resid_pre')).toBe(false);
    const block = hookFilter(hookGroups.block);
    expect(block('blocks.0.ln1.hook_scale')).toBe(true);
    expect(block('ln_final.w')).toBe(true);
    expect(block('blocks.0.attn.rotary.hook_cos')).toBe(true);
    expect(block('blocks.0.mlp.hook_post')).toBe(false);
  });
});
