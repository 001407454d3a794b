import type { RunProgress } from '../../domain/providers/collector-runs.js';

/** Passes provider pages through, counting each as one of the run's pages. */
export async function* countedPages<T>(pages: AsyncIterable<T>, progress: Pick<RunProgress, 'page'>): AsyncGenerator<T> {
  for await (const page of pages) {
    progress.page();
    yield page;
  }
}
