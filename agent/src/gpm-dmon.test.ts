import { describe, expect, it } from 'vitest';
import { fixture } from './fixtures.test-support.js';
import { DmonParser, GpmAccumulator, gpmPercentToRatio, parseDmonText } from './dmon-format.js';
import { GpmDmon } from './gpm-dmon.js';
import { createLogger } from './log.js';
import { newStats } from './stats.js';

const SM = 'DCGM_FI_PROF_SM_ACTIVE';
const GR = 'DCGM_FI_PROF_GR_ENGINE_ACTIVE';
const OCC = 'DCGM_FI_PROF_SM_OCCUPANCY';
const TENSOR = 'DCGM_FI_PROF_PIPE_TENSOR_ACTIVE';
const DRAM = 'DCGM_FI_PROF_DRAM_ACTIVE';

function accumulate(text: string) {
  const acc = new GpmAccumulator();
  for (const row of parseDmonText(text).rows) acc.add(row, 1000);
  return acc;
}

describe('parseDmonText on the real H200 capture (driver 580, --gpm-metrics 1,2,3,5)', () => {
  const parsed = parseDmonText(fixture('nvidia-smi-dmon-h200-gpm-idle-then-full.txt'));

  it('reads every row, maps the GPM columns by name and knows every column', () => {
    expect(parsed.rows).toHaveLength(10);
    expect(parsed.rows.every((r) => r.gpu === 0 && r.gpuInstanceId === undefined)).toBe(true);
    expect(parsed.garbageLines).toEqual([]);
    expect(parsed.refusals).toEqual([]);
    expect(parsed.unknownColumns).toEqual([]);
  });

  it('the first two rows give no GPM reading (dmon needs two GPM samples), the idle ones read 0', () => {
    expect(parsed.rows[0]!.fields).toEqual({});
    expect(parsed.rows[1]!.fields).toEqual({});
    expect(parsed.rows[2]!.fields).toEqual({ [GR]: 0, [SM]: 0, [OCC]: 0, [TENSOR]: 0 });
  });

  it('the 9th row (first second of matmuls) and the last, as ratios', () => {
    expect(parsed.rows[8]!.fields).toEqual({ [GR]: 0.18, [SM]: 0.18, [OCC]: 0.02, [TENSOR]: 0.17 });
    expect(parsed.rows[9]!.fields).toEqual({ [GR]: 0.98, [SM]: 0.94, [OCC]: 0.14, [TENSOR]: 0.92 });
  });

  it('a poll gets the mean of the rows since the last poll, per field over the rows that had it; nothing is repeated', () => {
    const acc = accumulate(fixture('nvidia-smi-dmon-h200-gpm-idle-then-full.txt'));
    // 8 rows with readings: six idle (0), then 18 and 94 SM activity.
    expect(acc.take()).toEqual([
      // (18 + 98) / 8 = 14.5 %, (18 + 94) / 8 = 14 %, (2 + 14) / 8 = 2 %, (17 + 92) / 8 = 13.625 %
      { gpu: 0, rows: 10, fields: { [GR]: 0.145, [SM]: 0.14, [OCC]: 0.02, [TENSOR]: 0.13625 } },
    ]);
    expect(acc.take()).toEqual([]);
  });
});

describe('parseDmonText on written fixtures', () => {
  it('MIG level (--gpm-options dm): device rows have "-" in mig_id/gi_id/ci_id, instance rows are keyed by gi_id', () => {
    const parsed = parseDmonText(fixture('nvidia-smi-dmon-h100-mig-gpm.txt'));
    expect(parsed.rows).toHaveLength(12);
    expect(parsed.rows.slice(4, 8).map((r) => [r.gpu, r.gpuInstanceId, r.computeInstanceId])).toEqual([
      [0, undefined, undefined],
      [0, 2, 0],
      [0, 1, 0],
      [1, undefined, undefined],
    ]);
    const acc = accumulate(fixture('nvidia-smi-dmon-h100-mig-gpm.txt'));
    expect(acc.gpusWithInstancesSince(1000)).toEqual(new Set([0]));
    const readings = acc.take();
    expect(readings.map((r) => [r.gpu, r.gpuInstanceId, r.fields[SM], r.fields[TENSOR], r.fields[DRAM]])).toEqual([
      [0, undefined, 0.38, 0.31, 0.23],
      [0, 1, 0.11, 0.05, 0.07],
      [0, 2, 0.64, 0.56, 0.39],
      [1, undefined, 0.82, 0.75, 0.46],
    ]);
    expect(readings.every((r) => r.rows === 3)).toBe(true);
  });

  it('GPM not supported: the message is a refusal, not a row; columns that stay "-" give rows without readings', () => {
    const refused = parseDmonText(fixture('nvidia-smi-dmon-a100-gpm-not-supported.txt'));
    expect(refused.rows).toEqual([]);
    expect(refused.refusals).toEqual(['Not supported on the device(s)', 'Failed to process command line.']);
    const dashes = parseDmonText(fixture('nvidia-smi-dmon-a100-gpm-dashes.txt'));
    expect(dashes.rows.map((r) => r.gpu)).toEqual([0, 1, 0, 1, 0, 1]);
    expect(dashes.rows.every((r) => Object.keys(r.fields).length === 0)).toBe(true);
    expect(accumulate(fixture('nvidia-smi-dmon-a100-gpm-dashes.txt')).take()).toEqual([]);
  });

  it('lines that do not parse are garbage and the rows around them still count', () => {
    const text = [
      '    0     78     34     37      0      0      0      0      0      0   3201    345          5          5          1          4',
      fixture('nvidia-smi-dmon-h200-gpm-idle-then-full.txt').split('\n').slice(0, 2).join('\n'),
      'NVML: Unknown Error',
      '    0     78     34',
      '    x     78     34     37      0      0      0      0      0      0   3201    345          5          5          1          4',
      '\u0000\u0001\u00ff binary noise',
      '    0     78     34     37      0      0      0      0      0      0   3201    345         40         39          5         38',
    ].join('\n');
    const parsed = parseDmonText(text);
    expect(parsed.garbageLines).toHaveLength(5);
    expect(parsed.rows).toHaveLength(1);
    expect(parsed.rows[0]!.fields[SM]).toBe(0.39);
  });

  it('a header reprinted mid-stream (other columns, other order) is read again', () => {
    const text = [
      '# gpu    pwr   smutil',
      '# Idx      W    GPM:%',
      '    0    100       50',
      '# gpu  smutil    pwr  mmaact  nvlrx',
      '# Idx   GPM:%      W   GPM:%  GPM:%',
      '    0      60    200      30      7',
    ].join('\n');
    const parsed = parseDmonText(text);
    expect(parsed.rows.map((r) => r.fields)).toEqual([{ [SM]: 0.5 }, { [SM]: 0.6, [TENSOR]: 0.3 }]);
    expect(parsed.unknownColumns).toEqual(['nvlrx']);
  });

  it('"-", an en dash and anything non-numeric mean no reading (never 0); values are clamped to 0..1', () => {
    const parser = new DmonParser();
    parser.parseLine('# gpu  gract  smutil  smocc  mmaact  dramact  fp16  fp32  fp64');
    const row = parser.parseLine('    0      –       -    N/A     105       -5   12.5    1     0');
    expect(row).toEqual({
      kind: 'row',
      row: {
        gpu: 0,
        fields: {
          [TENSOR]: 1,
          [DRAM]: 0,
          DCGM_FI_PROF_PIPE_FP16_ACTIVE: 0.125,
          DCGM_FI_PROF_PIPE_FP32_ACTIVE: 0.01,
          DCGM_FI_PROF_PIPE_FP64_ACTIVE: 0,
        },
      },
    });
    for (const cell of ['-', '–', '—', 'N/A', '', '[N/A]', '1e2', 'NaN']) expect(gpmPercentToRatio(cell)).toBeUndefined();
    // `dram` is accepted for DRAM activity too.
    parser.parseLine('# gpu dram');
    expect(parser.parseLine('1 33')).toEqual({ kind: 'row', row: { gpu: 1, fields: { [DRAM]: 0.33 } } });
  });
});

describe('GpmDmon', () => {
  it('asks for metrics 1,2,3,5,10 at the configured interval; MIG level only when the host has MIG devices', () => {
    const dmon = new GpmDmon({
      nvidiaSmiPath: 'nvidia-smi',
      intervalSeconds: 2,
      log: createLogger({ write: () => {} }),
      stats: newStats(),
    });
    expect(dmon.args()).toEqual(['dmon', '--gpm-metrics', '1,2,3,5,10', '-d', '2']);
    dmon.setMig(true);
    expect(dmon.args()).toEqual(['dmon', '--gpm-metrics', '1,2,3,5,10', '-d', '2', '--gpm-options', 'dm']);
  });
});

describe('GpmDmon faults', () => {
  it('nvidia-smi absent (spawn ENOENT): one log line, state absent, waiting resolves, stop resolves', async () => {
    const lines: string[] = [];
    const stats = newStats();
    const dmon = new GpmDmon({
      nvidiaSmiPath: '/nonexistent/bin/nvidia-smi',
      intervalSeconds: 1,
      log: createLogger({ write: (l) => lines.push(l) }),
      stats,
    });
    dmon.ensureRunning();
    await dmon.waitForReading(5000);
    expect(dmon.currentState).toBe('absent');
    // Asking again does not start it again (it retries after 30 minutes), and says nothing more.
    dmon.ensureRunning();
    dmon.ensureRunning();
    await dmon.waitForReading(5000);
    await dmon.stop();
    // A stop (dcgm-exporter answering again) keeps the state and its retry time.
    expect(dmon.currentState).toBe('absent');
    dmon.ensureRunning();
    expect(dmon.active).toBe(false);
    await dmon.stop();
    const warnings = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 'warn');
    expect(warnings.map((l) => [l.msg, l.code])).toEqual([
      ['GPM unavailable: cannot start nvidia-smi dmon; sending --query-gpu fields only, retrying in 30 minutes', 'ENOENT'],
    ]);
    expect(stats.gpmRestarts).toBe(0);
    expect(dmon.take()).toEqual([]);
  });
});
