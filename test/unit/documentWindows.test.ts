// Window planning and invalidation for documents longer than the model's window.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planWindow, WindowCache, type DocumentWindow, type WindowPlan } from '../../src/host/probabilities/documentWindows';
import { documentShape } from '../helpers/textLines';

const BUDGET = { owned: 40, context: 30 };

function windowOf(plan: WindowPlan): DocumentWindow {
  return { ...plan, tokens: [] };
}

describe('planWindow', () => {
  it('owns whole lines around the offset within the budget, and reads context before them', () => {
    const text = Array.from({ length: 20 }, (_, i) => `line ${String(i).padStart(2, '0')}`).join('\n'); // 8 chars + \n per line
    const plan = planWindow(documentShape(text), 50, [], BUDGET);
    expect(plan.ownedStart % 8).toBe(plan.ownedStart === 0 ? 0 : plan.ownedStart % 8);
    expect(text[plan.ownedStart - 1] ?? '\n').toBe('\n');
    expect(plan.ownedEnd - plan.ownedStart).toBeLessThanOrEqual(BUDGET.owned);
    expect(plan.ownedStart).toBeLessThanOrEqual(50);
    expect(plan.ownedEnd).toBeGreaterThan(50);
    expect(plan.contextStart).toBe(Math.max(0, plan.ownedStart - BUDGET.context));
  });

  it('covers every position exactly once however the requests come, using overlaps only as context', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z ]{0,70}$/), { minLength: 1, maxLength: 30 }), fc.array(fc.nat(), { maxLength: 60 }), (lines, requests) => {
        const text = lines.join('\n');
        const doc = documentShape(text);
        const cache = new WindowCache();
        const ask = (offset: number) => {
          if (!cache.find(offset)) cache.add(windowOf(planWindow(doc, offset, cache.all, BUDGET)));
          return cache.find(offset);
        };
        for (const r of requests) if (text.length) expect(ask(r % text.length)).toBeDefined();
        for (let offset = 0; offset < text.length; offset++) expect(ask(offset)).toBeDefined();
        const owners = Array.from({ length: text.length }, (_, offset) => cache.all.filter((w) => w.ownedStart <= offset && offset < w.ownedEnd).length);
        expect(owners.every((n) => n === 1)).toBe(true);
        for (const w of cache.all) {
          expect(w.ownedEnd - w.ownedStart).toBeLessThanOrEqual(BUDGET.owned);
          expect(w.ownedStart - w.contextStart).toBeLessThanOrEqual(BUDGET.context);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('slices one very long line instead of owning it whole', () => {
    const text = 'x'.repeat(5_000_000);
    const plan = planWindow(documentShape(text), 2_500_000, [], BUDGET);
    expect(plan.ownedStart).toBeLessThanOrEqual(2_500_000);
    expect(plan.ownedEnd).toBeGreaterThan(2_500_000);
    expect(plan.ownedEnd - plan.ownedStart).toBeLessThanOrEqual(BUDGET.owned);
  });
});

describe('WindowCache.applyEdit', () => {
  function cacheWith(...plans: WindowPlan[]): WindowCache {
    const cache = new WindowCache();
    for (const p of plans)
      cache.add({
        ...p,
        tokens: [{ start: p.ownedStart, end: p.ownedStart + 1, id: 0, text: 'x', prob: 0.5, rank: 1, entropy: 1, top: [], firstTopRow: -1, lensRows: 0 }],
      });
    return cache;
  }

  it('keeps windows before the edit, moves windows after it, and drops the ones it touches', () => {
    const cache = cacheWith(
      { contextStart: 0, ownedStart: 0, ownedEnd: 40 },
      { contextStart: 10, ownedStart: 40, ownedEnd: 80 },
      { contextStart: 90, ownedStart: 120, ownedEnd: 160 },
    );
    cache.applyEdit(85, 87, 5); // 2 characters become 5, between the second and the third window
    expect(cache.all.map((w) => [w.contextStart, w.ownedStart, w.ownedEnd])).toEqual([
      [0, 0, 40],
      [10, 40, 80],
      [93, 123, 163],
    ]);
    expect(cache.all[2].tokens[0].start).toBe(123);
    cache.applyEdit(20, 21, 0); // inside the first window, and in the second's context
    expect(cache.all.map((w) => w.ownedStart)).toEqual([123 - 1]);
  });

  it('drops a window that ends where the edit starts (its last token may merge with the new text)', () => {
    const cache = cacheWith({ contextStart: 0, ownedStart: 0, ownedEnd: 40 });
    cache.applyEdit(40, 40, 3);
    expect(cache.all).toHaveLength(0);
  });
});
