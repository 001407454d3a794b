import { malformedReply } from '../providers/provider-errors.js';

/**
 * BigQuery REST rows (`jobs.query`, `jobs.getQueryResults`): every row is `{"f":[{"v":...}]}` in schema order;
 * scalars arrive as strings (INT64, NUMERIC and FLOAT64 included, so no precision is lost on the wire),
 * RECORD values as nested `{"f":[...]}`, REPEATED values as `[{"v":...}]`.
 * The decoder keeps scalars as strings: money stays exact until money.ts reads it.
 */
export interface BigQueryField {
  name: string;
  type: string;
  mode?: string;
  fields?: BigQueryField[];
}
export interface BigQuerySchema {
  fields?: BigQueryField[];
}
export interface BigQueryCell {
  v?: unknown;
}
export interface BigQueryRow {
  f?: BigQueryCell[];
}

export type BigQueryValue = string | null | BigQueryRecord | BigQueryValue[];
export interface BigQueryRecord {
  [column: string]: BigQueryValue;
}

type Decode = (cell: unknown, path: string) => BigQueryValue;

const OPERATION = 'BigQuery.jobs.getQueryResults';

function scalarDecoder(field: BigQueryField): Decode {
  return (value, path) => {
    if (value === null || value === undefined) return null;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw malformedReply('gcp', OPERATION, `expected a ${field.type} value, got ${typeof value}`, path);
  };
}

function fieldDecoder(field: BigQueryField): Decode {
  const isRecord = field.type === 'RECORD' || field.type === 'STRUCT';
  const single: Decode = isRecord ? recordDecoder(field.fields ?? []) : scalarDecoder(field);
  if (field.mode !== 'REPEATED') return single;
  return (value, path) => {
    if (value === null || value === undefined) return [];
    if (!Array.isArray(value)) throw malformedReply('gcp', OPERATION, 'expected a REPEATED value', path);
    return value.map((item, i) => single((item as BigQueryCell | null)?.v, `${path}[${i}]`));
  };
}

function recordDecoder(fields: BigQueryField[]): Decode {
  const names = fields.map((f) => f.name);
  const decoders = fields.map(fieldDecoder);
  return (value, path) => {
    if (value === null || value === undefined) return null;
    const cells = (value as BigQueryRow).f;
    if (!Array.isArray(cells) || cells.length !== decoders.length) {
      throw malformedReply('gcp', OPERATION, `expected ${decoders.length} cells`, `${path}.f`);
    }
    const out: BigQueryRecord = {};
    for (let i = 0; i < decoders.length; i++) out[names[i]!] = decoders[i]!((cells[i] as BigQueryCell | null)?.v, `${path}.f[${i}]`);
    return out;
  };
}

/** Compiles a decoder for rows of one schema: `decode(row, 'rows[12]')` → `{ column: value }`. */
export function compileBigQueryRowDecoder(schema: BigQuerySchema | undefined): (row: BigQueryRow, path: string) => BigQueryRecord {
  const fields = schema?.fields;
  if (!Array.isArray(fields) || fields.some((f) => typeof f?.name !== 'string' || typeof f?.type !== 'string')) {
    throw malformedReply('gcp', OPERATION, 'schema.fields is missing or unreadable', 'schema');
  }
  const decode = recordDecoder(fields);
  return (row, path) => {
    if (typeof row !== 'object' || row === null) throw malformedReply('gcp', OPERATION, 'a row is not an object', path);
    return decode(row, path) as BigQueryRecord;
  };
}

/**
 * A TIMESTAMP as BigQuery writes it: int64 microseconds ("1730419200000000", with
 * `formatOptions.useInt64Timestamp`), float seconds ("1.7304192E9", the older default) or ISO-8601.
 * NaN when unreadable.
 */
export function bigQueryTimestampMs(value: string): number {
  if (/^-?\d{13,}$/.test(value)) return Math.floor(Number(BigInt(value) / 1000n));
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  return Date.parse(value.includes('T') || value.endsWith('Z') ? value : `${value.replace(' ', 'T')}Z`);
}
