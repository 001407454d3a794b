import { z } from 'zod';
import { formatDecimal, parseDecimal, type Decimal } from '../core/money.js';

/**
 * Model prices in USD per token, under the keys the widely used model price maps use, and the cost of one
 * LLM request computed from them exactly (a `Decimal` counts 10^-12 USD, and tokens are whole numbers, so a
 * cost is an exact integer of pico-dollars: no rounding, no float drift, sums of millions of events exact).
 *
 * Tokens, as OpenTelemetry GenAI reports them:
 * - `input_tokens` INCLUDES the cached ones: uncached input = input − cache_read − cache_creation, and only
 *   that remainder is priced at `input_cost_per_token` (pricing all input at the input rate and then the
 *   cached part again is the double count peer tools are known for);
 * - `reasoning.output_tokens` are PART OF `output_tokens`: they are priced at
 *   `output_cost_per_reasoning_token` when the model has one, else at the output rate, and the rest of the
 *   output at `output_cost_per_token`; never both.
 * A missing cache rate falls back to the input rate; a missing reasoning rate to the output rate.
 */
export const priceKeys = [
  'input_cost_per_token',
  'output_cost_per_token',
  'cache_read_input_token_cost',
  'cache_creation_input_token_cost',
  'output_cost_per_reasoning_token',
] as const;
export type PriceKey = (typeof priceKeys)[number];

export interface ModelPrice {
  model: string;
  input: Decimal;
  output: Decimal;
  cacheRead?: Decimal | undefined;
  cacheCreation?: Decimal | undefined;
  reasoning?: Decimal | undefined;
  /** `default`: shipped in code (illustrative); `custom`: set through the API. */
  source: 'default' | 'custom';
  updatedAt?: string | undefined;
}

export interface TokenCounts {
  input: number;
  output: number;
  cacheRead: number;
  cacheCreation: number;
  reasoning: number;
}

/** Whole-number model names as providers spell them: `gpt-4o`, `claude-sonnet-4-5`, `meta-llama/Llama-3.1-8B`. */
export const modelNameSchema = z
  .string()
  .min(1, 'model must not be empty')
  .max(256, 'model must be at most 256 characters')
  .regex(/^[^\s\u0000-\u001f\u007f]+$/, 'model may not contain spaces or control characters');

/** Places after the point a decimal text needs: "1.25e-7" → 9, "0.0000025" → 7, "3" → 0. */
export function decimalPlaces(text: string): number {
  const match = /^[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!match) return Number.POSITIVE_INFINITY;
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  return Math.max(0, fraction.length - Number(match[3] ?? 0));
}

const MAX_PRICE_PER_TOKEN = 1n * 10n ** 12n; // 1 USD per token: anything above is a unit mistake

const perTokenPrice = z
  .union([z.number(), z.string()], { message: 'must be a number or a decimal string of USD per token, e.g. 0.0000025' })
  .transform((value, ctx) => {
    const text = typeof value === 'number' ? String(value) : value;
    let price: Decimal;
    try {
      price = parseDecimal(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `not a decimal number: ${JSON.stringify(text).slice(0, 40)}` });
      return z.NEVER;
    }
    if (price < 0n) ctx.addIssue({ code: 'custom', message: 'must not be negative' });
    else if (price >= MAX_PRICE_PER_TOKEN)
      ctx.addIssue({ code: 'custom', message: 'must be below 1 USD per token (prices are per token, not per million tokens)' });
    else if (decimalPlaces(text) > 12)
      ctx.addIssue({ code: 'custom', message: 'has more than 12 decimal places; prices are kept exactly to 1e-12 USD' });
    return price;
  });

/** Body of `PUT /v1/model-prices/{model}`: USD per token, as numbers (2.5e-6) or decimal strings ("0.0000025"). */
export const modelPriceInputSchema = z
  .object({
    input_cost_per_token: perTokenPrice.describe('USD per uncached input token'),
    output_cost_per_token: perTokenPrice.describe('USD per output token (reasoning tokens included unless priced apart)'),
    cache_read_input_token_cost: perTokenPrice
      .optional()
      .describe('USD per input token read from the prompt cache; default: the input rate'),
    cache_creation_input_token_cost: perTokenPrice
      .optional()
      .describe('USD per input token written to the prompt cache; default: the input rate'),
    output_cost_per_reasoning_token: perTokenPrice.optional().describe('USD per reasoning token; default: the output rate'),
  })
  .strict();
export type ModelPriceInput = z.output<typeof modelPriceInputSchema>;

export function modelPriceFromInput(model: string, input: ModelPriceInput, updatedAt: string): ModelPrice {
  return {
    model,
    input: input.input_cost_per_token,
    output: input.output_cost_per_token,
    cacheRead: input.cache_read_input_token_cost,
    cacheCreation: input.cache_creation_input_token_cost,
    reasoning: input.output_cost_per_reasoning_token,
    source: 'custom',
    updatedAt,
  };
}

const decimalString = z.string().describe('USD per token, exact decimal');
export const modelPriceViewSchema = z
  .object({
    model: z.string(),
    input_cost_per_token: decimalString,
    output_cost_per_token: decimalString,
    cache_read_input_token_cost: decimalString.nullable(),
    cache_creation_input_token_cost: decimalString.nullable(),
    output_cost_per_reasoning_token: decimalString.nullable(),
    source: z
      .enum(['default', 'custom'])
      .describe('default: shipped with Compute Ledger as an illustration, edit it; custom: set through the API'),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: 'ModelPrice' });
export type ModelPriceView = z.infer<typeof modelPriceViewSchema>;

export const modelPriceListSchema = z
  .object({
    currency: z.literal('USD'),
    unit: z.literal('per token'),
    note: z.string(),
    models: z.array(modelPriceViewSchema),
  })
  .meta({ id: 'ModelPriceList' });

const text = (d: Decimal | undefined) => (d === undefined ? null : formatDecimal(d));

export function modelPriceView(price: ModelPrice): ModelPriceView {
  return {
    model: price.model,
    input_cost_per_token: formatDecimal(price.input),
    output_cost_per_token: formatDecimal(price.output),
    cache_read_input_token_cost: text(price.cacheRead),
    cache_creation_input_token_cost: text(price.cacheCreation),
    output_cost_per_reasoning_token: text(price.reasoning),
    source: price.source,
    updatedAt: price.updatedAt ?? null,
  };
}

/**
 * DEFAULTS TO BE EDITED. A handful of well-known models with plausible, ILLUSTRATIVE prices so that a fresh
 * install prices something; they are not quotes and go stale. Set real prices with
 * `PUT /v1/model-prices/{model}`: a stored price replaces the default of the same model.
 */
const defaultRows: Array<[model: string, input: string, output: string, cacheRead?: string, cacheCreation?: string, reasoning?: string]> = [
  ['gpt-4o', '0.0000025', '0.00001', '0.00000125'],
  ['gpt-4o-mini', '0.00000015', '0.0000006', '0.000000075'],
  ['gpt-4.1', '0.000002', '0.000008', '0.0000005'],
  ['o4-mini', '0.0000011', '0.0000044', '0.000000275', undefined, '0.0000044'],
  ['claude-sonnet-4-5', '0.000003', '0.000015', '0.0000003', '0.00000375'],
  ['claude-haiku-4-5', '0.000001', '0.000005', '0.0000001', '0.00000125'],
  ['gemini-2.5-pro', '0.00000125', '0.00001', '0.000000125', undefined, '0.00001'],
  ['gemini-2.5-flash', '0.0000003', '0.0000025', '0.00000003', undefined, '0.0000025'],
];

const optional = (s: string | undefined) => (s === undefined ? undefined : parseDecimal(s));
export const DEFAULT_MODEL_PRICES: readonly ModelPrice[] = defaultRows.map(
  ([model, input, output, cacheRead, cacheCreation, reasoning]) => ({
    model,
    input: parseDecimal(input),
    output: parseDecimal(output),
    cacheRead: optional(cacheRead),
    cacheCreation: optional(cacheCreation),
    reasoning: optional(reasoning),
    source: 'default',
  }),
);

export const PRICE_NOTE =
  'USD per token. Entries with source "default" are illustrative prices shipped with Compute Ledger, not quotes: replace them with PUT /v1/model-prices/{model}.';

/** Stored prices over the defaults, by model name. */
export function priceTable(stored: Iterable<ModelPrice>): Map<string, ModelPrice> {
  const table = new Map<string, ModelPrice>();
  for (const price of DEFAULT_MODEL_PRICES) table.set(price.model, price);
  for (const price of stored) table.set(price.model, price);
  return table;
}

const DATE_SUFFIX = /-(\d{4}-\d{2}-\d{2}|\d{8})$/;

/**
 * The price of the model that served the request: the response model, then the requested model, each
 * exactly, then each without a trailing release date (`gpt-4o-2024-08-06` → `gpt-4o`,
 * `claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`). Undefined when none is known: never a zero price.
 */
export function findModelPrice(table: ReadonlyMap<string, ModelPrice>, models: ReadonlyArray<string | undefined>): ModelPrice | undefined {
  for (const model of models) {
    if (model === undefined) continue;
    const exact = table.get(model);
    if (exact) return exact;
  }
  for (const model of models) {
    if (model === undefined || !DATE_SUFFIX.test(model)) continue;
    const undated = table.get(model.replace(DATE_SUFFIX, ''));
    if (undated) return undated;
  }
  return undefined;
}

/**
 * Cost of one request in pico-dollars (exact). Token counts are validated: cache ≤ input, reasoning ≤ output.
 * When every product and their sum stay below 2^53 (any realistic request), doubles hold them exactly and
 * one BigInt is made at the end; otherwise the sum is done in BigInt throughout.
 */
export function usageCost(tokens: TokenCounts, price: ModelPrice): Decimal {
  const uncached = tokens.input - tokens.cacheRead - tokens.cacheCreation;
  const plain = tokens.output - tokens.reasoning;
  const sum =
    uncached * Number(price.input) +
    tokens.cacheRead * Number(price.cacheRead ?? price.input) +
    tokens.cacheCreation * Number(price.cacheCreation ?? price.input) +
    plain * Number(price.output) +
    tokens.reasoning * Number(price.reasoning ?? price.output);
  // Each term is a product of integers; if the sum is a safe integer, so was every term, and all were exact.
  if (Number.isSafeInteger(sum)) return BigInt(sum);
  return usageCostExact(tokens, price);
}

export function usageCostExact(tokens: TokenCounts, price: ModelPrice): Decimal {
  const uncachedInput = BigInt(tokens.input - tokens.cacheRead - tokens.cacheCreation);
  const plainOutput = BigInt(tokens.output - tokens.reasoning);
  return (
    uncachedInput * price.input +
    BigInt(tokens.cacheRead) * (price.cacheRead ?? price.input) +
    BigInt(tokens.cacheCreation) * (price.cacheCreation ?? price.input) +
    plainOutput * price.output +
    BigInt(tokens.reasoning) * (price.reasoning ?? price.output)
  );
}

/** What the price endpoints need from storage. */
export interface ModelPriceStore {
  storedModelPrices(): Promise<ModelPrice[]>;
  putModelPrice(price: ModelPrice): Promise<void>;
}

export async function listModelPrices(store: Pick<ModelPriceStore, 'storedModelPrices'>): Promise<z.infer<typeof modelPriceListSchema>> {
  const table = priceTable(await store.storedModelPrices());
  const models = [...table.values()].sort((a, b) => a.model.localeCompare(b.model)).map(modelPriceView);
  return { currency: 'USD', unit: 'per token', note: PRICE_NOTE, models };
}

/** Set (or replace) the price of one model; it applies to events ingested from now on. */
export async function setModelPrice(
  store: Pick<ModelPriceStore, 'putModelPrice'>,
  model: string,
  input: ModelPriceInput,
  now: number,
): Promise<ModelPriceView> {
  const price = modelPriceFromInput(model, input, new Date(now).toISOString());
  await store.putModelPrice(price);
  return modelPriceView(price);
}
