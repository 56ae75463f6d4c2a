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
    it('lets a caller alone go past its rate: limits are work-conserving', () => {
      const { admit } = setup({ ...LIMITS, maxConcurrent: 100, maxInFlight: 100 });
      for (let i = 0; i < 50; i++) ticket(admit('alone')).release();
    });

    it('refuses a caller over its rate while another caller has requests in flight', () => {
      const { admit, advance } = setup({ ...LIMITS, maxConcurrent: 100, maxInFlight: 100 });
      const other = ticket(admit('other'));
      for (let i = 0; i < LIMITS.burst; i++) ticket(admit('flood')).release();
      const r = refusal(admit('flood'));
      expect(r).toMatchObject({ reason: 'rate', retryAfterSeconds: 1 });
      expect(r.detail).toContain(`${LIMITS.ratePerSecond} requests/s`);
      // The bucket refills at the rate: 100 ms later, one more (10/s).
      advance(100);
      ticket(admit('flood')).release();
      refusal(admit('flood'));
      // Once the other caller is done, the flood may borrow the idle server again.
      other.release();
      ticket(admit('flood')).release();
    });

    it('never refuses a caller within its rate, however busy the others are', () => {
      const { admit, advance } = setup({ ...LIMITS, maxConcurrent: 100, maxInFlight: 100 });
      ticket(admit('other'));
      for (let i = 0; i < 100; i++) {
        advance(1000 / LIMITS.ratePerSecond);
        ticket(admit('steady')).release();
      }
    });

    it('names a longer wait when the rate is below one request a second', () => {
      const { admit } = setup({ ratePerSecond: 1, burst: 1, maxConcurrent: 10, maxInFlight: 10 });
      ticket(admit('other'));
      ticket(admit('slow')).release();
      expect(refusal(admit('slow')).retryAfterSeconds).toBe(1);
    });
  });
});
