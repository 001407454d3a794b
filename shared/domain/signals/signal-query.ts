import { z } from 'zod';
import { signalTypes, signalViewSchema } from './signal-view.js';

/** `GET /v1/signals`: recontracting signals of one status, largest monthly impact first. */
export const signalStatuses = ['open', 'resolved'] as const;
export type SignalStatus = (typeof signalStatuses)[number];

export const signalQuerySchema = z.object({
  type: z.enum(signalTypes).optional(),
  status: z.enum(signalStatuses).default('open'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type SignalQuery = z.infer<typeof signalQuerySchema>;

/** A signal as stored: the view, whether it is still raised, and when it stopped being raised. */
export const storedSignalSchema = signalViewSchema
  .extend({
    status: z.enum(signalStatuses),
    resolvedAt: z.string().nullable().describe('when a run first stopped raising it; null while open'),
  })
  .meta({ id: 'Signal' });
export type StoredSignal = z.infer<typeof storedSignalSchema>;

export const signalListSchema = z.object({ signals: z.array(storedSignalSchema) });
