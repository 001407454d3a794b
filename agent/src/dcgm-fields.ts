/**
 * DCGM field names the agent emits, the nvidia-smi query that feeds them, and DCGM's "no reading" sentinels.
 */
export const DCGM = {
  GPU_UTIL: 'DCGM_FI_DEV_GPU_UTIL',
  FB_USED: 'DCGM_FI_DEV_FB_USED',
  FB_FREE: 'DCGM_FI_DEV_FB_FREE',
  POWER_USAGE: 'DCGM_FI_DEV_POWER_USAGE',
  GPU_TEMP: 'DCGM_FI_DEV_GPU_TEMP',
  SM_CLOCK: 'DCGM_FI_DEV_SM_CLOCK',
  ECC_DBE_VOL_TOTAL: 'DCGM_FI_DEV_ECC_DBE_VOL_TOTAL',
  TOTAL_ENERGY_CONSUMPTION: 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION',
  SM_ACTIVE: 'DCGM_FI_PROF_SM_ACTIVE',
} as const;

/** The columns the agent asks nvidia-smi for, in order. */
export const NVIDIA_SMI_QUERY_COLUMNS = [
  'index',
  'uuid',
  'name',
  'utilization.gpu',
  'memory.used',
  'memory.total',
  'power.draw',
  'temperature.gpu',
  'clocks.sm',
  'ecc.errors.uncorrected.volatile.total',
] as const;

export type NvidiaSmiColumn = (typeof NVIDIA_SMI_QUERY_COLUMNS)[number];

export const NVIDIA_SMI_ARGS = [`--query-gpu=${NVIDIA_SMI_QUERY_COLUMNS.join(',')}`, '--format=csv,noheader,nounits'];

/** nvidia-smi column → DCGM field, for the columns that map one to one. memory.total feeds FB_FREE (total − used). */
export const NVIDIA_SMI_TO_DCGM: Partial<Record<NvidiaSmiColumn, string>> = {
  'utilization.gpu': DCGM.GPU_UTIL,
  'memory.used': DCGM.FB_USED,
  'power.draw': DCGM.POWER_USAGE,
  'temperature.gpu': DCGM.GPU_TEMP,
  'clocks.sm': DCGM.SM_CLOCK,
  'ecc.errors.uncorrected.volatile.total': DCGM.ECC_DBE_VOL_TOTAL,
};

/** Field names the ingest API accepts. */
export const DCGM_FIELD_NAME = /^DCGM_FI_[A-Z0-9_]{1,96}$/;

// dcgm_structs.h: DCGM_INT32_BLANK 0x7ffffff0 (+1 NOT_FOUND, +2 NOT_SUPPORTED, +3 NOT_PERMISSIONED),
// DCGM_INT64_BLANK 0x7ffffffffffffff0 (+1..+3), DCGM_FP64_BLANK 2^47 = 140737488355328.0 (+1..+3);
// DCGM_FP64_IS_BLANK / DCGM_INT64_IS_BLANK test `>=` the base.
const INT32_BLANK = 0x7ffffff0;
const FP64_BLANK = 140737488355328.0;
/** 0x7ffffffffffffff0 is not representable as a double; the nearest doubles round to 2^63. Anything this large is blank. */
const INT64_BLANK_AS_DOUBLE = 9223372036854775000;

/**
 * True when a DCGM reading is one of DCGM's blank sentinels (no reading).
 * `text` is the value as printed: dcgm-exporter prints doubles with a decimal point ("%f") and integers without.
 */
export function isDcgmBlank(value: number, text?: string): boolean {
  if (value >= INT64_BLANK_AS_DOUBLE) return true;
  if (value >= INT32_BLANK && value <= INT32_BLANK + 3) return true;
  const printedAsDouble = text === undefined || /[.eE]/.test(text);
  if (printedAsDouble) return value >= FP64_BLANK;
  return value >= FP64_BLANK && value <= FP64_BLANK + 3;
}

/** A reading worth sending: finite, not a DCGM sentinel, not negative. */
export function usableReading(value: number, text?: string): boolean {
  return Number.isFinite(value) && value >= 0 && !isDcgmBlank(value, text);
}
