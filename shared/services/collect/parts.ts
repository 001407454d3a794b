import { errorMessage } from '../../adapters/provider-retry.js';

/**
 * Runs the independent parts of a collection (accounts, subscriptions, regions) one after the other: a part
 * that fails is reported in `failures` and the others go on. When every part fails the run has collected
 * nothing, so that is an error, carrying the first part's reason.
 */
export interface CollectionPart {
  /** Names the part in a failure: `us-east-1 spot prices`, `/subscriptions/<id>`. */
  name: string;
  run(): Promise<void>;
}

export async function runParts(parts: readonly CollectionPart[]): Promise<string[]> {
  const failures: string[] = [];
  for (const part of parts) {
    try {
      await part.run();
    } catch (error) {
      failures.push(`${part.name}: ${errorMessage(error)}`);
    }
  }
  if (parts.length > 0 && failures.length === parts.length) {
    throw new Error(parts.length === 1 ? failures[0] : `all ${parts.length} parts failed; ${failures[0]} (and ${parts.length - 1} more)`);
  }
  return failures;
}
