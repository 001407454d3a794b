/**
 * DCGM fields the ledger understands, with the checks that decide whether a reading is a real value.
 * DCGM reports "no reading" as blank sentinels; nvidia-smi as `[N/A]`. Both must never become numbers.
 */
export type DcgmValueType = 'fp64' | 'int64' | 'int32';
export type DcgmFieldKind = 'gauge' | 'counter';

export interface DcgmFieldSpec {
  unit: string;
  type: DcgmValueType;
  kind: DcgmFieldKind;
  min: number;
  max: number;
}

const ratio = { unit: 'ratio', type: 'fp64', kind: 'gauge', min: 0, max: 1 } as const;

export const dcgmFields = {
  DCGM_FI_DEV_GPU_UTIL: { unit: '%', type: 'int32', kind: 'gauge', min: 0, max: 100 },
  DCGM_FI_DEV_MEM_COPY_UTIL: { unit: '%', type: 'int32', kind: 'gauge', min: 0, max: 100 },
  DCGM_FI_PROF_GR_ENGINE_ACTIVE: ratio,
  DCGM_FI_PROF_SM_ACTIVE: ratio,
  DCGM_FI_PROF_SM_OCCUPANCY: ratio,
  DCGM_FI_PROF_PIPE_TENSOR_ACTIVE: ratio,
  DCGM_FI_PROF_DRAM_ACTIVE: ratio,
  DCGM_FI_PROF_PIPE_FP16_ACTIVE: ratio,
  DCGM_FI_PROF_PIPE_FP32_ACTIVE: ratio,
  DCGM_FI_PROF_PIPE_FP64_ACTIVE: ratio,
  DCGM_FI_DEV_FB_USED: { unit: 'MiB', type: 'int32', kind: 'gauge', min: 0, max: 10_000_000 },
  DCGM_FI_DEV_FB_FREE: { unit: 'MiB', type: 'int32', kind: 'gauge', min: 0, max: 10_000_000 },
  DCGM_FI_DEV_FB_TOTAL: { unit: 'MiB', type: 'int32', kind: 'gauge', min: 0, max: 10_000_000 },
  DCGM_FI_DEV_POWER_USAGE: { unit: 'W', type: 'fp64', kind: 'gauge', min: 0, max: 10_000 },
  DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION: { unit: 'mJ', type: 'int64', kind: 'counter', min: 0, max: Number.MAX_SAFE_INTEGER },
  DCGM_FI_DEV_GPU_TEMP: { unit: 'C', type: 'int32', kind: 'gauge', min: -50, max: 200 },
  DCGM_FI_DEV_MEMORY_TEMP: { unit: 'C', type: 'int32', kind: 'gauge', min: -50, max: 200 },
  DCGM_FI_DEV_SM_CLOCK: { unit: 'MHz', type: 'int32', kind: 'gauge', min: 0, max: 10_000 },
  DCGM_FI_DEV_MEM_CLOCK: { unit: 'MHz', type: 'int32', kind: 'gauge', min: 0, max: 20_000 },
  DCGM_FI_DEV_XID_ERRORS: { unit: 'code', type: 'int32', kind: 'gauge', min: 0, max: 1_000_000 },
  DCGM_FI_DEV_ECC_DBE_VOL_TOTAL: { unit: 'count', type: 'int64', kind: 'gauge', min: 0, max: Number.MAX_SAFE_INTEGER },
  DCGM_FI_DEV_ECC_SBE_VOL_TOTAL: { unit: 'count', type: 'int64', kind: 'gauge', min: 0, max: Number.MAX_SAFE_INTEGER },
  DCGM_FI_DEV_PCIE_REPLAY_COUNTER: { unit: 'count', type: 'int64', kind: 'counter', min: 0, max: Number.MAX_SAFE_INTEGER },
} as const satisfies Record<string, DcgmFieldSpec>;

export type KnownDcgmField = keyof typeof dcgmFields;

/** A field we do not know is stored as a non-negative gauge of unknown unit. */
const unknownField: DcgmFieldSpec = { unit: '', type: 'fp64', kind: 'gauge', min: Number.NEGATIVE_INFINITY, max: Number.POSITIVE_INFINITY };

export const DCGM_FIELD_NAME = /^DCGM_FI_[A-Z0-9_]{1,96}$/;

export function dcgmFieldSpec(name: string): DcgmFieldSpec {
  return (dcgmFields as Record<string, DcgmFieldSpec>)[name] ?? unknownField;
}

/** DCGM blank values (DCGM_FP64_BLANK, DCGM_INT32_BLANK, DCGM_INT64_BLANK and their NOT_FOUND/NOT_SUPPORTED/NOT_PERMISSIONED siblings). */
const FP64_BLANK = 140737488355328.0;
const INT32_BLANK = 0x7ffffff0;
const INT64_BLANK = 2 ** 63 - 16; // 0x7ffffffffffffff0; as a double it rounds to 2^63

export function isDcgmBlank(value: number, type: DcgmValueType | 'any' = 'any'): boolean {
  const fp64 = value >= FP64_BLANK && value <= FP64_BLANK + 3;
  const int32 = value >= INT32_BLANK && value <= INT32_BLANK + 3;
  const int64 = value >= INT64_BLANK;
  switch (type) {
    case 'fp64':
      return fp64 || int64;
    case 'int32':
      return int32 || int64;
    case 'int64':
      return int64;
    default:
      return fp64 || int32 || int64;
  }
}

export type FieldRejection = 'not_finite' | 'blank_sentinel' | 'out_of_range';

/** Why a reading is not a value, or `null` when it is one. */
export function rejectReading(name: string, value: number, spec: DcgmFieldSpec = dcgmFieldSpec(name)): FieldRejection | null {
  if (!Number.isFinite(value)) return 'not_finite';
  if (isDcgmBlank(value, spec === unknownField ? 'any' : spec.type)) return 'blank_sentinel';
  if (spec === unknownField) return value < 0 ? 'out_of_range' : null;
  if (value < spec.min || value > spec.max) return 'out_of_range';
  return null;
}
