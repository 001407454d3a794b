import { z } from 'zod';

/**
 * The workload that used a GPU while a sample was taken: a Kubernetes namespace, pod and container (dcgm-exporter's
 * pod mapping) and a job id (a `ledger.job.id` label, a scheduler's job file, a Slurm or Kubernetes Job name), with the
 * epochs the job reports as completed. The values are untrusted text from whoever runs the workload: bounded here,
 * free of control characters, and escaped wherever they are shown.
 */
export const WORKLOAD_LIMITS = { namespace: 63, pod: 253, container: 63, job: 128 } as const;
export const MAX_EPOCH = 1_000_000;
/** Distinct workloads kept per GPU and minute; samples of any further one count for the GPU but are not attributed. */
export const MAX_WORKLOADS_PER_GPU_MINUTE = 16;

// C0 and C1 control characters, DEL included.
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

const label = (name: keyof typeof WORKLOAD_LIMITS) =>
  z
    .string()
    .min(1, `${name} must not be empty`)
    .max(WORKLOAD_LIMITS[name], `${name} must be at most ${WORKLOAD_LIMITS[name]} characters`)
    .refine((value) => !CONTROL_CHARACTERS.test(value), `${name} must not hold control characters`);

export const workloadSchema = z
  .object({
    namespace: label('namespace').optional(),
    pod: label('pod').optional(),
    container: label('container').optional(),
    job: label('job').optional(),
    epoch: z.number().int('epoch must be an integer').min(0).max(MAX_EPOCH).optional().describe('epochs the job reports as completed'),
  })
  .describe('the workload that used the GPU: Kubernetes namespace, pod and container, and a job id');
export type Workload = z.infer<typeof workloadSchema>;

/** The names that identify a workload (the epoch does not). */
export interface WorkloadIdentity {
  namespace?: string | undefined;
  pod?: string | undefined;
  container?: string | undefined;
  job?: string | undefined;
}

/** One key per (namespace, pod, container, job); the separator cannot occur in a value. */
export function workloadKey(w: WorkloadIdentity): string {
  return `${w.namespace ?? ''}\u0001${w.pod ?? ''}\u0001${w.container ?? ''}\u0001${w.job ?? ''}`;
}

/** True when the workload names anything at all. */
export function namesWorkload(w: WorkloadIdentity | undefined): w is WorkloadIdentity {
  return !!w && !!(w.namespace || w.pod || w.container || w.job);
}

/** `namespace/pod`, the scope a pod is shown and stored under (pod names repeat across namespaces). */
export function podScope(w: WorkloadIdentity): string | null {
  return w.pod ? `${w.namespace ?? '(no namespace)'}/${w.pod}` : null;
}
