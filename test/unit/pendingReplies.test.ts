import { describe, expect, it } from 'vitest';
import { PendingReplies } from '../../src/shared/pendingReplies';

describe('PendingReplies', () => {
  it('settles the request a reply names, and only that one', async () => {
    const pending = new PendingReplies<string, string>();
    const a = pending.open(() => 'first');
    const b = pending.open((id) => `second ${id}`);
    expect(a.id).not.toBe(b.id);
    expect(b.request).toBe(`second ${b.id}`);
    expect(pending.request(b.id)).toBe(b.request);
    expect(pending.reject(b.id, new Error('no'))).toBe(true);
    expect(pending.resolve(a.id, 'yes')).toBe(true);
    await expect(a.reply).resolves.toBe('yes');
    await expect(b.reply).rejects.toThrow('no');
  });

  it('drops a reply nobody waits for: an unknown id, or one answered already', async () => {
    const pending = new PendingReplies<number>();
    const a = pending.open(() => {});
    expect(pending.resolve(a.id + 100, 1)).toBe(false);
    expect(pending.resolve(a.id, 2)).toBe(true);
    expect(pending.resolve(a.id, 3)).toBe(false);
    expect(pending.request(a.id)).toBeUndefined();
    await expect(a.reply).resolves.toBe(2);
  });

  it('fails everything still waiting when the other side goes away, and nothing answered before', async () => {
    const pending = new PendingReplies<number>();
    const done = pending.open(() => {});
    pending.resolve(done.id, 1);
    const waiting = [pending.open(() => {}), pending.open(() => {})];
    pending.rejectAll(new Error('closed'));
    await expect(done.reply).resolves.toBe(1);
    for (const w of waiting) await expect(w.reply).rejects.toThrow('closed');
    expect(pending.resolve(waiting[0].id, 5)).toBe(false);
  });
});
