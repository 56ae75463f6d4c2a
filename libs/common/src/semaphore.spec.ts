import { Semaphore } from './semaphore';

describe(Semaphore.name, () => {
  it('runs at most the given number of tasks at once, the others in arrival order', async () => {
    const slots = new Semaphore(2);
    const started: number[] = [];
    const release: (() => void)[] = [];
    let running = 0;
    let most = 0;
    const tasks = Array.from({ length: 5 }, (_, i) =>
      slots.run(async () => {
        started.push(i);
        running++;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => release.push(resolve));
        running--;
        return i;
      }),
    );
    // Let the first tasks start, then finish them one at a time.
    for (let done = 0; done < 5; done++) {
      await new Promise((resolve) => setImmediate(resolve));
      release.shift()?.();
    }
    await expect(Promise.all(tasks)).resolves.toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
  });

  it('frees the slot of a task that fails', async () => {
    const slots = new Semaphore(1);
    await expect(slots.run(() => Promise.reject(new Error('scrypt failed')))).rejects.toThrow(
      'scrypt failed',
    );
    await expect(slots.run(() => Promise.resolve('next'))).resolves.toBe('next');
  });

  it('lets a holder take several places, in arrival order, never more than the limit', async () => {
    const slots = new Semaphore(2);
    const one = await slots.acquire();
    const order: string[] = [];
    // Two places wait for `one`; the single place asked after them does not overtake them.
    const both = slots.acquire(2).then((release) => (order.push('both'), release));
    const later = slots.acquire(1).then((release) => (order.push('later'), release));
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([]);
    one();
    const releaseBoth = await both;
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['both']);
    releaseBoth();
    (await later)();
    expect(order).toEqual(['both', 'later']);
    // A weight over the limit takes every place rather than waiting for ever.
    const all = await slots.acquire(5);
    all();
    (await slots.acquire(2))();
  });
});
