import { z } from 'zod';

/**
 * One row of unit economics: what a scope cost and what it did in one hour or one day. Amounts are exact decimal
 * strings; a ratio whose denominator is zero is null, never Infinity.
 */
export const unitEconomicsScopeKinds = [
  'fleet',
  'pool',
  'host',
  'team',
  'workflow',
  'model',
  'namespace',
  'pod',
  'job',
  'unallocated',
] as const;
export type UnitEconomicsScopeKind = (typeof unitEconomicsScopeKinds)[number];

const money = z.string().regex(/^-?\d+(\.\d+)?$/, 'a decimal string');

export const unitEconomicsRowSchema = z
  .object({
    scopeKind: z.enum(unitEconomicsScopeKinds),
    /**
     * The pool, host id, team, workflow or model; the Kubernetes namespace, `namespace/pod` or job id; `*` for the
     * fleet; for unallocated, the reason. Workload rows (namespace, pod, job) are day rows.
     */
    scope: z.string(),
    period: z.enum(['hour', 'day']),
    start: z.string(),
    end: z.string(),
    currency: z.string(),
    /** FOCUS EffectiveCost allocated to the scope (GPU hosts) plus priced API usage. */
    cost: money,
    /** Part of `cost` that is priced API model usage (not GPU hosts). */
    apiCost: money,
    paidGpuHours: z.number(),
    effectiveGpuHours: z.number(),
    /** effective / paid GPU-hours, 0..1; null when nothing was paid. */
    effectiveUtilization: z.number().nullable(),
    /** GPU cost × (1 − effective / paid). */
    idleCost: money,
    /** Paid GPU-hours at or below 1% activity while 1 GiB or more of framebuffer stayed in use. */
    idleHeldGpuHours: z.number(),
    /** GPU cost × idle-held / paid GPU-hours: the part of idleCost held by someone doing nothing. */
    idleHeldCost: money,
    /** Job rows: epochs the job completed in the period, from the counts it reported; null otherwise. */
    epochs: z.number().nullable(),
    costPerEpoch: money.nullable(),
    costPerEffectiveGpuHour: money.nullable(),
    tokens: z.number(),
    requests: z.number(),
    /** Self-hosted: GPU cost over tokens served; API models: priced usage over their tokens; both: the sum over both. */
    costPerMillionTokens: money.nullable(),
    costPer1kRequests: money.nullable(),
    energyKwh: z.number(),
    kwhPerMillionTokens: z.number().nullable(),
  })
  .meta({ id: 'UnitEconomicsRow' });
export type UnitEconomicsRow = z.infer<typeof unitEconomicsRowSchema>;
