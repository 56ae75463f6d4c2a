import { hashPassword, verifyPassword } from './scim-password';

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
