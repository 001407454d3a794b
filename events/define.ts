import type { z } from 'zod';

/** A typed event: its name (the EventBridge detail-type) and the zod schema of its detail. */
export interface EventDefinition<Name extends string, Schema extends z.ZodType> {
  name: Name;
  schema: Schema;
  create(detail: z.input<Schema>): LedgerEvent<Name, z.output<Schema>>;
}

export interface LedgerEvent<Name extends string = string, Detail = unknown> {
  name: Name;
  detail: Detail;
}

export function defineEvent<const Name extends string, Schema extends z.ZodType>(
  name: Name,
  schema: Schema,
): EventDefinition<Name, Schema> {
  return { name, schema, create: (detail) => ({ name, detail: schema.parse(detail) }) };
}

/** The EventBridge `source` of every event the ledger publishes. */
export const EVENT_SOURCE = 'compute-ledger';
