import { concurrencyLimit, hashPassword, verifyPassword } from './scim-password';

describe('SCIM password hashing', () => {
  it('stores a salted scrypt hash that verifies only the same password', async () => {
    const stored = await hashPassword('t1meMa$heen');
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(stored).not.toContain('t1meMa$heen');
    await expect(verifyPassword('t1meMa$heen', stored)).resolves.toBe(true);
    await expect(verifyPassword('t1meMa$heen!', stored)).resolves.toBe(false);
  });

  it('salts: the same password hashes differently twice', async () => {
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'));
  });

  it('hashes many passwords at once, each verifiable', async () => {
    const passwords = Array.from({ length: 6 }, (_, i) => `password ${i}`);
    const hashes = await Promise.all(passwords.map((p) => hashPassword(p)));
    await expect(Promise.all(passwords.map((p, i) => verifyPassword(p, hashes[i])))).resolves.toEqual(
      passwords.map(() => true),
    );
  });
});

describe(concurrencyLimit.name, () => {
  it('runs at most the given number of tasks at once, the others in arrival order', async () => {
    const inSlot = concurrencyLimit(2);
    const started: number[] = [];
    const release: (() => void)[] = [];
    let running = 0;
    let most = 0;
    const tasks = Array.from({ length: 5 }, (_, i) =>
      inSlot(async () => {
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
    const inSlot = concurrencyLimit(1);
    await expect(inSlot(() => Promise.reject(new Error('scrypt failed')))).rejects.toThrow('scrypt failed');
    await expect(inSlot(() => Promise.resolve('next'))).resolves.toBe('next');
  });
});
