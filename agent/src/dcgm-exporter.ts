/**
 * dcgm-exporter source: scrapes its Prometheus page and groups series into one reading per GPU (or per MIG instance).
 *
 * Labels used (dcgm-exporter renders `gpu`, `UUID` — `uuid` with the old namespace —, `pci_bus_id`, `device`, `modelName`,
 * `GPU_I_PROFILE`/`GPU_I_ID` for MIG, `Hostname`, then attributes and Kubernetes labels).
 */
import { DCGM_FIELD_NAME, usableReading } from './dcgm-fields.js';
import type { GpuReading } from './nvidia-smi.js';
import { parsePrometheusText } from './prometheus-text.js';
import { MAX_FIELDS_PER_SAMPLE } from './wire.js';
import { workloadFromLabels } from './workload.js';

export interface DcgmParseResult {
  gpus: GpuReading[];
  /** Readings left out because they were DCGM blanks, NaN/Inf or negative. */
  noReading: number;
  malformedLines: number;
}

/**
 * The uuid the agent sends for a MIG instance when its `MIG-…` UUID is unknown: dcgm-exporter's UUID label holds the
 * parent GPU's UUID.
 */
export function migInstanceUuid(parentUuid: string, gpuInstanceId: string): string {
  return `${parentUuid}/gi${gpuInstanceId}`;
}

export function gpuReadingsFromDcgmText(text: string): DcgmParseResult {
  const { samples, malformedLines } = parsePrometheusText(text, (name) => name.startsWith('DCGM_FI_'));
  const byDevice = new Map<string, GpuReading>();
  let noReading = 0;
  for (const s of samples) {
    const l = s.labels;
    // NVLink, NVSwitch and CPU entities are not GPUs.
    if (l.nvlink !== undefined || l.nvswitch !== undefined || l.cpu !== undefined || l.cpucore !== undefined) continue;
    if (!DCGM_FIELD_NAME.test(s.name)) continue;
    const gpuLabel = l.gpu;
    const parentUuid = l.UUID ?? l.uuid;
    if (gpuLabel === undefined || !/^\d+$/.test(gpuLabel) || !parentUuid) continue;
    const instanceId = l.GPU_I_ID;
    const isMig = instanceId !== undefined && /^\d+$/.test(instanceId);
    const key = `${gpuLabel}|${parentUuid}|${isMig ? instanceId : ''}`;
    let reading = byDevice.get(key);
    if (!reading) {
      const baseModel = l.modelName ?? l.model_name ?? 'unknown';
      reading = {
        index: Number(gpuLabel),
        uuid: isMig ? migInstanceUuid(parentUuid, instanceId) : parentUuid,
        model: isMig ? `${baseModel} MIG ${l.GPU_I_PROFILE ?? `gi${instanceId}`}` : baseModel,
        fields: {},
      };
      if (isMig) reading.mig = { parentUuid, gpuInstanceId: Number(instanceId) };
      byDevice.set(key, reading);
    }
    // With pod mapping a GPU's series repeat per pod sharing it: the first pod's workload, as for the fields.
    if (!reading.workload) {
      const workload = workloadFromLabels(l);
      if (workload) reading.workload = workload;
    }
    if (!usableReading(s.value, s.valueText)) {
      noReading++;
      continue;
    }
    // One series per field and device; with Kubernetes pod mapping the same reading can repeat per pod: keep the first.
    if (reading.fields[s.name] !== undefined) continue;
    if (Object.keys(reading.fields).length >= MAX_FIELDS_PER_SAMPLE) continue;
    reading.fields[s.name] = s.value;
  }
  const gpus = [...byDevice.values()].sort((a, b) => a.index - b.index || a.uuid.localeCompare(b.uuid));
  return { gpus, noReading, malformedLines };
}
