/**
 * At most `limit` places held at once; the others wait in arrival order. A holder may take several places
 * (`weight`, at most `limit`): a waiter is let in only when all the places it asks for are free, and nobody
 * behind it overtakes it. `acquire` resolves to the release function (idempotent), so a holder can hand it to
 * whatever ends its work.
 */
export class Semaphore {
  private held = 0;
  private readonly waiting: { weight: number; start: () => void }[] = [];

  constructor(private readonly limit: number) {}

  async acquire(weight = 1): Promise<() => void> {
    const places = Math.min(Math.max(1, Math.ceil(weight)), this.limit);
    if (this.waiting.length === 0 && this.held + places <= this.limit) this.held += places;
    else await new Promise<void>((start) => this.waiting.push({ weight: places, start }));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held -= places;
      this.startWaiting();
    };
  }

  /** Runs `work` holding one place. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }

  private startWaiting(): void {
    while (this.waiting.length > 0 && this.held + this.waiting[0].weight <= this.limit) {
      const next = this.waiting.shift()!;
      this.held += next.weight;
      next.start();
    }
  }
}
