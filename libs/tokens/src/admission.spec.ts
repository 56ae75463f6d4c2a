import type { CallerLimits } from '@rollcall/common';
import { Admission, type Refusal, type Ticket } from './admission';

const LIMITS: CallerLimits = { ratePerSecond: 10, burst: 5, maxConcurrent: 2, maxInFlight: 4 };

function setup(limits: CallerLimits = LIMITS) {
  let now = 0;
  const admission = new Admission(() => now);
  return {
    admission,
    admit: (key: string) => admission.admit(key, limits),
    advance: (ms: number) => (now += ms),
  };
}

function ticket(result: Ticket | Refusal): Ticket {
  if (!result.admitted) throw new Error(`refused: ${result.detail}`);
  return result;
}

function refusal(result: Ticket | Refusal): Refusal {
  if (result.admitted) throw new Error('admitted');
  return result;
}

describe(Admission.name, () => {
  describe('in flight', () => {
    it(`runs ${LIMITS.maxConcurrent} requests of a caller at once and queues the next in arrival order`, async () => {
      const { admit } = setup();
      const [a, b, c, d] = ['k', 'k', 'k', 'k'].map((k) => ticket(admit(k)));
      expect(a.turn).toBeUndefined();
      expect(b.turn).toBeUndefined();
      const started: string[] = [];
      void c.turn!.then(() => started.push('c'));
      void d.turn!.then(() => started.push('d'));
      await Promise.resolve();
      expect(started).toEqual([]);
      a.release();
      await Promise.resolve();
      expect(started).toEqual(['c']);
      b.release();
      await Promise.resolve();
      expect(started).toEqual(['c', 'd']);
    });

    it(`refuses a caller with ${LIMITS.maxInFlight} requests in flight, with Retry-After 1`, () => {
      const { admit, admission } = setup();
      for (let i = 0; i < LIMITS.maxInFlight; i++) ticket(admit('k'));
      const r = refusal(admit('k'));
      expect(r).toMatchObject({ reason: 'in-flight', retryAfterSeconds: 1 });
      expect(r.detail).toContain(`at most ${LIMITS.maxInFlight}`);
      // The refused request counts until its answer is sent.
      expect(admission.inFlight('k')).toBe(LIMITS.maxInFlight + 1);
      r.release();
      r.release();
      expect(admission.inFlight('k')).toBe(LIMITS.maxInFlight);
      // Another caller is not affected.
      expect(ticket(admit('other')).turn).toBeUndefined();
    });

    it('gives the place back once, however often release is called, and lets a waiting request leave the queue', async () => {
      const { admit, admission } = setup();
      const a = ticket(admit('k'));
      ticket(admit('k'));
      const waiting = ticket(admit('k'));
      const next = ticket(admit('k'));
      waiting.release();
      waiting.release();
      expect(admission.inFlight('k')).toBe(3);
      a.release();
      a.release();
      await next.turn;
      expect(admission.inFlight('k')).toBe(2);
    });
  });

  describe('rate', () => {
    const WIDE = { ...LIMITS, maxConcurrent: 100, maxInFlight: 100 };

    it('lets a caller alone go past its rate: limits are work-conserving', () => {
      const { admit } = setup(WIDE);
      const held = Array.from({ length: 50 }, () => ticket(admit('alone')));
      expect(held.every((t) => t.turn === undefined)).toBe(true);
    });

    it('refuses a caller over its rate while a caller with fewer requests in flight is served', () => {
      const { admit, advance } = setup(WIDE);
      const other = ticket(admit('other'));
      const flood = Array.from({ length: LIMITS.burst }, () => ticket(admit('flood')));
      const r = refusal(admit('flood'));
      expect(r).toMatchObject({ reason: 'rate', retryAfterSeconds: 1 });
      expect(r.detail).toContain(`${LIMITS.ratePerSecond} requests/s`);
      // The bucket refills at the rate: 100 ms later, one more (10/s).
      advance(100);
      flood.push(ticket(admit('flood')));
      refusal(admit('flood'));
      // Once the other caller is done, the flood may borrow the idle server again.
      other.release();
      flood.push(ticket(admit('flood')));
      expect(flood).toHaveLength(LIMITS.burst + 2);
    });

    it('does not refuse a caller over its rate when the others have as many requests in flight', () => {
      const { admit } = setup(WIDE);
      const a = [ticket(admit('a')), ticket(admit('a'))];
      const b = [ticket(admit('b')), ticket(admit('b'))];
      // Both far over their rate, as two imports side by side: each goes on as long as it is no heavier.
      for (let i = 0; i < 20; i++) {
        a.shift()!.release();
        a.push(ticket(admit('a')));
        b.shift()!.release();
        b.push(ticket(admit('b')));
      }
    });

    it("keeps counting a flood's refused requests until they are answered, so the flood stays the heavier caller", () => {
      const { admit } = setup({ ...WIDE, burst: 2 });
      const other = [ticket(admit('other')), ticket(admit('other'))];
      const flood = [ticket(admit('flood')), ticket(admit('flood')), ticket(admit('flood'))];
      const refused = [refusal(admit('flood')), refusal(admit('flood')), refusal(admit('flood'))];
      // The flood's admitted requests end; its refusals are still waiting to be answered.
      flood.forEach((t) => t.release());
      refused.push(refusal(admit('flood')));
      // The other caller, over its rate too, is not refused: the flood is heavier.
      for (let i = 0; i < 5; i++) {
        other.shift()!.release();
        other.push(ticket(admit('other')));
      }
      refused.forEach((r) => r.release());
    });

    it('never refuses a caller within its rate, however busy the others are', () => {
      const { admit, advance } = setup(WIDE);
      ticket(admit('other'));
      const steady = [ticket(admit('steady')), ticket(admit('steady'))];
      for (let i = 0; i < 100; i++) {
        advance(1000 / LIMITS.ratePerSecond);
        steady.push(ticket(admit('steady')));
        steady.shift()!.release();
      }
    });

    it('names a wait of at least a second', () => {
      const { admit } = setup({ ratePerSecond: 1000, burst: 1, maxConcurrent: 10, maxInFlight: 10 });
      ticket(admit('other'));
      ticket(admit('fast'));
      ticket(admit('fast'));
      expect(refusal(admit('fast')).retryAfterSeconds).toBe(1);
    });
  });

  describe("borrow (a /Bulk request's extra lanes)", () => {
    it('lends a running place only while it makes nobody wait, and gives it to the next request on release', async () => {
      const { admission, admit } = setup();
      expect(admission.borrow('k')).toBeUndefined(); // nothing running: nothing to lend to
      const bulk = ticket(admit('k'));
      const extra = admission.borrow('k');
      expect(extra).toBeDefined();
      expect(admission.inFlight('k')).toBe(2);
      expect(admission.borrow('k')).toBeUndefined(); // at maxConcurrent (2)
      // The caller's next request waits for the borrowed place, and gets it when it is given back.
      const next = ticket(admit('k'));
      let started = false;
      void next.turn!.then(() => (started = true));
      extra!();
      extra!();
      await Promise.resolve();
      expect(started).toBe(true);
      expect(admission.inFlight('k')).toBe(2);
      next.release();
      bulk.release();
      expect(admission.inFlight('k')).toBe(0);
    });

    it('lends nothing while another caller has a request in flight', () => {
      const { admission, admit } = setup();
      const bulk = ticket(admit('a'));
      const other = ticket(admit('b'));
      expect(admission.borrow('a')).toBeUndefined();
      other.release();
      const extra = admission.borrow('a');
      expect(extra).toBeDefined();
      extra!();
      bulk.release();
    });
  });
});
