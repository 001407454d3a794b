/** Counters the agent keeps about itself; logged with every flush and at exit. */
export interface AgentStats {
  polls: number;
  pollFailures: number;
  samplesCollected: number;
  batchesSent: number;
  samplesSent: number;
  batchesDuplicate: number;
  fieldsRejected: number;
  batchesRejected: number;
  samplesRejected: number;
  sendFailures: number;
  batchesSpooled: number;
  batchesDroppedSpoolFull: number;
  samplesDroppedSpoolFull: number;
  energyCounterResets: number;
  /** Rows read from the long-lived `nvidia-smi dmon --gpm-metrics` child. */
  gpmRows: number;
  /** Times that child was started again after it died or hung. */
  gpmRestarts: number;
  /** Lines it printed that did not parse (ignored). */
  gpmGarbageLines: number;
}

export function newStats(): AgentStats {
  return {
    polls: 0,
    pollFailures: 0,
    samplesCollected: 0,
    batchesSent: 0,
    samplesSent: 0,
    batchesDuplicate: 0,
    fieldsRejected: 0,
    batchesRejected: 0,
    samplesRejected: 0,
    sendFailures: 0,
    batchesSpooled: 0,
    batchesDroppedSpoolFull: 0,
    samplesDroppedSpoolFull: 0,
    energyCounterResets: 0,
    gpmRows: 0,
    gpmRestarts: 0,
    gpmGarbageLines: 0,
  };
}
