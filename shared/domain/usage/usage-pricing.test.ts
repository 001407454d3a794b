import { describe, expect, it } from 'vitest';
import { formatDecimal, parseDecimal } from '../core/money.js';
import {
  DEFAULT_MODEL_PRICES,
  decimalPlaces,
  findModelPrice,
  listModelPrices,
  modelPriceInputSchema,
  priceTable,
  setModelPrice,
  usageCost,
  usageCostExact,
  type ModelPrice,
  type TokenCounts,
} from './usage-pricing.js';

const price = (
  model: string,
  p: Partial<Record<'input' | 'output' | 'cacheRead' | 'cacheCreation' | 'reasoning', string>>,
): ModelPrice => ({
  model,
  input: parseDecimal(p.input ?? '0'),
  output: parseDecimal(p.output ?? '0'),
  cacheRead: p.cacheRead === undefined ? undefined : parseDecimal(p.cacheRead),
  cacheCreation: p.cacheCreation === undefined ? undefined : parseDecimal(p.cacheCreation),
  reasoning: p.reasoning === undefined ? undefined : parseDecimal(p.reasoning),
  source: 'custom',
});
const tokens = (t: Partial<TokenCounts>): TokenCounts => ({ input: 0, output: 0, cacheRead: 0, cacheCreation: 0, reasoning: 0, ...t });
const usd = (t: Partial<TokenCounts>, p: ModelPrice) => formatDecimal(usageCost(tokens(t), p));

const gpt4o = price('gpt-4o', { input: '0.0000025', output: '0.00001', cacheRead: '0.00000125' });
const sonnet = price('claude-sonnet-4-5', { input: '0.000003', output: '0.000015', cacheRead: '0.0000003', cacheCreation: '0.00000375' });
const o4mini = price('o4-mini', { input: '0.0000011', output: '0.0000044', cacheRead: '0.000000275', reasoning: '0.000005' });

describe('usageCost: cached input is priced once, at the cache rate', () => {
  it('prices uncached input = input − cache_read at the input rate (worked by hand)', () => {
    // 2,400 input of which 1,024 cached: 1,376 × 2.5e-6 = 0.00344; 1,024 × 1.25e-6 = 0.00128; 180 × 1e-5 = 0.0018
    expect(usd({ input: 2400, cacheRead: 1024, output: 180 }, gpt4o)).toBe('0.00652');
    // The double-count bug would price all 2,400 at 2.5e-6 and the 1,024 again: 0.00784. Not that.
    expect(usd({ input: 2400, cacheRead: 1024, output: 180 }, gpt4o)).not.toBe('0.00784');
  });

  it('prices cache writes at the cache-creation rate and reads at the cache-read rate', () => {
    // 5,200 input = 104 uncached + 4,096 read + 1,000 written.
    // 104 × 3e-6 = 0.000312; 4,096 × 3e-7 = 0.0012288; 1,000 × 3.75e-6 = 0.00375; 640 × 1.5e-5 = 0.0096
    expect(usd({ input: 5200, cacheRead: 4096, cacheCreation: 1000, output: 640 }, sonnet)).toBe('0.0148908');
  });

  it('is exact to the pico-dollar where floats are not', () => {
    const cheap = price('m', { input: '0.0000001', output: '0.00000003' });
    expect(usd({ input: 3, output: 7 }, cheap)).toBe('0.00000051');
    // A million events of one cached token at 7.5e-8: exactly 0.075 USD; summed as floats it drifts.
    const one = usageCost(tokens({ input: 1, cacheRead: 1 }), price('mini', { input: '0.00000015', cacheRead: '0.000000075' }));
    let exact = 0n;
    let float = 0;
    for (let i = 0; i < 1_000_000; i++) {
      exact += one;
      float += 7.5e-8;
    }
    expect(formatDecimal(exact)).toBe('0.075');
    expect(float).not.toBe(0.075);
    // One token of gpt-4o-mini cache read: 7.5e-8 USD, which integer micro-dollars would round to 0.
    expect(usd({ input: 1, cacheRead: 1 }, price('mini', { input: '0.00000015', cacheRead: '0.000000075' }))).toBe('0.000000075');
  });

  it('gives the same exact answer on its double fast path and its BigInt path, beyond 2^53 pico-dollars too', () => {
    const pricey = price('pricey', { input: '0.00015', output: '0.0006', cacheRead: '0.000075', reasoning: '0.0006' });
    for (const t of [
      tokens({ input: 123_457, cacheRead: 100_000, output: 98_765, reasoning: 50_000 }),
      tokens({ input: 1_000_000_000, cacheRead: 1, output: 1_000_000_000, reasoning: 999_999_999 }), // 7.5e20 pico: BigInt path
    ]) {
      expect(usageCost(t, pricey)).toBe(usageCostExact(t, pricey));
    }
    expect(formatDecimal(usageCost(tokens({ input: 1_000_000_000, output: 1_000_000_000 }), pricey))).toBe('750000');
  });

  it('falls back to the input rate when a cache rate is missing', () => {
    const noCache = price('plain', { input: '0.000001', output: '0.000002' });
    expect(usd({ input: 1000, cacheRead: 400, cacheCreation: 100 }, noCache)).toBe('0.001');
  });
});

describe('usageCost: reasoning tokens are part of output', () => {
  it('prices reasoning at the reasoning rate and only the rest of output at the output rate', () => {
    // 800 × 1.1e-6 = 0.00088; (3,000 − 2,500) × 4.4e-6 = 0.0022; 2,500 × 5e-6 = 0.0125
    expect(usd({ input: 800, output: 3000, reasoning: 2500 }, o4mini)).toBe('0.01558');
  });

  it('prices reasoning at the output rate when the model has no reasoning rate, never twice', () => {
    // 3,000 output × 1e-5 = 0.03, whatever the reasoning share; counting reasoning again would give 0.055.
    expect(usd({ output: 3000, reasoning: 2500 }, gpt4o)).toBe('0.03');
    expect(usd({ output: 3000 }, gpt4o)).toBe('0.03');
  });
});

describe('findModelPrice', () => {
  const table = priceTable([gpt4o, sonnet]);

  it('tries the response model, then the requested model, then each without a release date', () => {
    expect(findModelPrice(table, ['gpt-4o', 'gpt-4o-mini'])?.model).toBe('gpt-4o');
    expect(findModelPrice(table, ['gpt-4o-2024-08-06', 'gpt-4o'])?.model).toBe('gpt-4o');
    expect(findModelPrice(table, ['gpt-4o-2024-08-06', undefined])?.model).toBe('gpt-4o');
    expect(findModelPrice(table, ['claude-sonnet-4-5-20250929', undefined])?.model).toBe('claude-sonnet-4-5');
    expect(findModelPrice(table, [undefined, 'gpt-4o-mini'])?.model).toBe('gpt-4o-mini'); // a default
  });

  it('finds nothing for an unknown model: never a zero price', () => {
    expect(findModelPrice(table, ['llama-3.1-8b-instruct', undefined])).toBeUndefined();
    expect(findModelPrice(table, ['gpt-4o-latest', undefined])).toBeUndefined();
  });

  it('lets a stored price replace the default of the same model', () => {
    const custom = price('gpt-4o', { input: '0.000001', output: '0.000002' });
    expect(priceTable([custom]).get('gpt-4o')).toBe(custom);
    expect(priceTable([]).get('gpt-4o')?.source).toBe('default');
  });
});

describe('model price input', () => {
  it('reads numbers and decimal strings exactly', () => {
    const parsed = modelPriceInputSchema.parse({
      input_cost_per_token: 2.5e-6,
      output_cost_per_token: '0.00001',
      cache_read_input_token_cost: 1.25e-7,
    });
    expect(formatDecimal(parsed.input_cost_per_token)).toBe('0.0000025');
    expect(formatDecimal(parsed.output_cost_per_token)).toBe('0.00001');
    expect(formatDecimal(parsed.cache_read_input_token_cost!)).toBe('0.000000125');
  });

  it.each([
    [{ input_cost_per_token: -1e-6, output_cost_per_token: 1e-6 }, 'input_cost_per_token', 'must not be negative'],
    [{ input_cost_per_token: 2.5, output_cost_per_token: 1e-6 }, 'input_cost_per_token', 'per token, not per million'],
    [{ input_cost_per_token: '1e-13', output_cost_per_token: 1e-6 }, 'input_cost_per_token', 'more than 12 decimal places'],
    [{ input_cost_per_token: 'abc', output_cost_per_token: 1e-6 }, 'input_cost_per_token', 'not a decimal number'],
    [{ input_cost_per_token: 1e-6 }, 'output_cost_per_token', ''],
    [{ input_cost_per_token: 1e-6, output_cost_per_token: 1e-6, input_cost_per_million: 1 }, '', 'input_cost_per_million'],
  ])('refuses %j', (body, path, message) => {
    const result = modelPriceInputSchema.safeParse(body);
    expect(result.success).toBe(false);
    const issue = result.error!.issues[0]!;
    expect(issue.path.join('.')).toBe(path);
    expect(JSON.stringify(issue)).toContain(message);
  });

  it('counts decimal places in any notation', () => {
    expect(decimalPlaces('0.0000025')).toBe(7);
    expect(decimalPlaces('2.5e-6')).toBe(7);
    expect(decimalPlaces('1.25E-7')).toBe(9);
    expect(decimalPlaces('3')).toBe(0);
    expect(decimalPlaces('3.10')).toBe(1);
    expect(decimalPlaces('x')).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('price list and updates', () => {
  it('ships a handful of illustrative defaults and lists stored prices over them', async () => {
    expect(DEFAULT_MODEL_PRICES.length).toBeGreaterThanOrEqual(5);
    const stored: ModelPrice[] = [];
    const store = { storedModelPrices: async () => stored, putModelPrice: async (p: ModelPrice) => void stored.push(p) };
    const view = await setModelPrice(
      store,
      'my-model',
      modelPriceInputSchema.parse({ input_cost_per_token: 1e-6, output_cost_per_token: '0.000002' }),
      Date.parse('2026-11-20T00:00:00Z'),
    );
    expect(view).toEqual({
      model: 'my-model',
      input_cost_per_token: '0.000001',
      output_cost_per_token: '0.000002',
      cache_read_input_token_cost: null,
      cache_creation_input_token_cost: null,
      output_cost_per_reasoning_token: null,
      source: 'custom',
      updatedAt: '2026-11-20T00:00:00.000Z',
    });
    const list = await listModelPrices(store);
    expect(list.note).toContain('illustrative');
    expect(list.models.find((m) => m.model === 'my-model')?.source).toBe('custom');
    expect(list.models.find((m) => m.model === 'gpt-4o')).toMatchObject({ source: 'default', input_cost_per_token: '0.0000025' });
    expect(list.models.map((m) => m.model)).toEqual([...list.models.map((m) => m.model)].sort((a, b) => a.localeCompare(b)));
  });
});
