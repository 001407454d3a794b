/** Timing for benchmarks: repeat a function until enough time has passed and report operations per second. */
export interface Rate {
  opsPerSec: number;
  iterations: number;
}

export function measureRate(fn: () => unknown, minMs = 1500): Rate {
  for (let i = 0; i < 5; i++) fn(); // warm up the JIT
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    fn();
    iterations++;
    elapsed = performance.now() - start;
  }
  return { opsPerSec: (iterations / elapsed) * 1000, iterations };
}

export async function measureRateAsync(fn: () => Promise<unknown>, minMs = 3000): Promise<Rate> {
  await fn();
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    await fn();
    iterations++;
    elapsed = performance.now() - start;
  }
  return { opsPerSec: (iterations / elapsed) * 1000, iterations };
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function report(title: string, rows: [string, string][]): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\n${title}\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n`);
}
