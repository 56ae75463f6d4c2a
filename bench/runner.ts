// Concurrency drivers: a fixed number of tasks, or as many as fit in a time budget, with N in flight.
import { performance } from 'node:perf_hooks';

/** Returns true to stop starting new tasks (e.g. when the server has gone away). */
export type StopWhen = () => boolean;

/** Runs task(0) … task(total - 1), keeping `concurrency` of them in flight. */
export async function runCount(
  total: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
  stopWhen: StopWhen = () => false,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < total && !stopWhen(); i = next++) await task(i);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, total)) }, worker));
}

/**
 * Runs `concurrency` workers that each call task() again and again until `seconds` have passed (a task that
 * has started is allowed to finish). Returns the number of tasks completed.
 */
export async function runFor(
  seconds: number,
  concurrency: number,
  task: (worker: number, iteration: number) => Promise<void>,
  stopWhen: StopWhen = () => false,
): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let iterations = 0;
  const worker = async (w: number): Promise<void> => {
    while (performance.now() < deadline && !stopWhen()) await task(w, iterations++);
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, (_, w) => worker(w)));
  return iterations;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
