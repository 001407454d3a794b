import { z } from 'zod';
import { collectorNames } from './collector-runs.js';

export const collectorRunsQuerySchema = z.object({
  collector: z.enum(collectorNames).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const capacityQuerySchema = z.object({
  kind: z.enum(['capacity-reservation', 'spot-placement-score', 'gpu-quota']).optional(),
  region: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-z0-9-]+$/, 'must be a region name such as us-east-1')
    .optional(),
});
