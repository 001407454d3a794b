/**
 * Imported first by the local entry points (`npm start`, the ledger CLI): the logger takes its level when it is
 * created, at import time, and keeps returning to it, so the default must be in place before anything imports it.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.POWERTOOLS_DEV ??= 'true';

export {};
