import type { CallerLimits } from '@rollcall/common';

/** Why a request was not let in. */
export type RefusalReason = 'rate' | 'in-flight';

export interface Refusal {
  admitted: false;
  reason: RefusalReason;
  /** Whole seconds the caller should wait before it tries again (the `Retry-After` header). */
  retryAfterSeconds: number;
  detail: string;
  /**
   * A refused request still counts as the caller's until its answer is sent (a refusal is answered after a
   * pause): a client that floods keeps its many requests in flight even while they are refused. Idempotent.
   */
  release(): void;
}

export interface Ticket {
  admitted: true;
  /** Undefined when the request may run at once; otherwise settles when its turn comes. */
  turn: Promise<void> | undefined;
  /** Ends the request: frees its place (and starts the next waiting one), or leaves the queue. Idempotent. */
  release(): void;
}

interface Waiter {
  start: () => void;
}

/** One caller's share: a token bucket for its rate, and its requests running and waiting. */
class CallerState {
  tokens: number;
  refilledAt: number;
  running = 0;
  readonly waiting: Waiter[] = [];
  /** Refused requests whose answer has not been sent yet. */
  refused = 0;

  constructor(
    readonly limits: CallerLimits,
    now: number,
  ) {
    this.tokens = limits.burst;
    this.refilledAt = now;
  }

  get inFlight(): number {
    return this.running + this.waiting.length + this.refused;
  }

  refill(now: number): void {
    const { ratePerSecond, burst } = this.limits;
    this.tokens = Math.min(burst, this.tokens + ((now - this.refilledAt) / 1000) * ratePerSecond);
    this.refilledAt = now;
  }
}

/** Idle callers are forgotten (their bucket is full again) once this many are known. */
const MAX_TRACKED = 10_000;

/**
 * Who may go on, who waits, and who is refused — per caller (an integration, an admin token), in O(1) per
 * request, before any body is read (DESIGN.md, "Sharing one server fairly").
 *
 * - **In flight**: at most `maxConcurrent` requests of a caller run at once; the next ones wait in arrival
 *   order, up to `maxInFlight` in flight (running, waiting, or refused and not yet answered). Past that a
 *   caller is running away: 429.
 * - **Rate**: a token bucket (`ratePerSecond`, `burst`). A caller within its rate is never refused. Over
 *   it, a caller is refused (429) only while another caller with fewer requests in flight is being served:
 *   alone, a caller may use the whole server (work-conserving); callers with the same demand share it
 *   without refusals; and one that floods (more in flight than the others) gets its rate while the
 *   others keep theirs.
 */
export class Admission {
  private readonly callers = new Map<string, CallerState>();
  /** How many callers have exactly n requests in flight, for n ≥ 1. */
  private readonly callersByInFlight: number[] = [];

  constructor(private readonly now: () => number = () => performance.now()) {}

  admit(key: string, limits: CallerLimits): Ticket | Refusal {
    const now = this.now();
    const caller = this.stateOf(key, limits, now);
    if (caller.inFlight >= limits.maxInFlight) {
      return this.refuse(
        caller,
        'in-flight',
        1,
        `Too many requests in flight: at most ${limits.maxInFlight} at once for one token`,
      );
    }
    caller.refill(now);
    if (caller.tokens >= 1) {
      caller.tokens -= 1;
    } else if (this.someoneLighterBusy(caller)) {
      return this.refuse(
        caller,
        'rate',
        Math.max(1, Math.ceil((1 - caller.tokens) / limits.ratePerSecond)),
        `Rate limit: more than ${limits.ratePerSecond} requests/s (burst ${limits.burst}) with more ` +
          'requests in flight than other callers being served',
      );
    }
    return this.enter(caller);
  }

  private refuse(
    caller: CallerState,
    reason: RefusalReason,
    retryAfterSeconds: number,
    detail: string,
  ): Refusal {
    this.track(caller, () => caller.refused++);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.track(caller, () => caller.refused--);
    };
    return { admitted: false, reason, retryAfterSeconds, detail, release };
  }

  /**
   * One more running place for a caller that has a request running already (an extra lane of a /Bulk request),
   * when taking it makes nobody wait: the caller is below `maxConcurrent`, none of its requests waits, and no
   * other caller has a request in flight. Undefined otherwise. The place counts as a running request until its
   * release (idempotent), which hands it to the caller's next waiting request as a request's end does.
   */
  borrow(key: string): (() => void) | undefined {
    const caller = this.callers.get(key);
    if (!caller || caller.running === 0 || caller.waiting.length > 0) return undefined;
    if (caller.running >= caller.limits.maxConcurrent || this.othersBusy()) return undefined;
    this.track(caller, () => caller.running++);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.track(caller, () => this.endRunning(caller));
    };
  }

  /** Requests in flight (running, waiting, and refused but not yet answered) for a caller. */
  inFlight(key: string): number {
    return this.callers.get(key)?.inFlight ?? 0;
  }

  /** Whether another caller with fewer requests in flight than this one has some in flight: O(in flight). */
  private someoneLighterBusy(caller: CallerState): boolean {
    for (let n = 1; n < caller.inFlight; n++) if ((this.callersByInFlight[n] ?? 0) > 0) return true;
    return false;
  }

  /** Whether a caller other than the one asking (which has a request in flight) has one too: O(in flight). */
  private othersBusy(): boolean {
    let busy = 0;
    for (let n = 1; n < this.callersByInFlight.length; n++) busy += this.callersByInFlight[n] ?? 0;
    return busy > 1;
  }

  /** A running request of `caller` ends: its place goes to the next waiting one, if any. */
  private endRunning(caller: CallerState): void {
    caller.running--;
    const next = caller.waiting.shift();
    if (next) {
      caller.running++;
      next.start();
    }
  }

  /** Keeps `callersByInFlight` right around a change of a caller's requests in flight. */
  private track(caller: CallerState, change: () => void): void {
    const before = caller.inFlight;
    change();
    const after = caller.inFlight;
    if (before > 0) this.callersByInFlight[before]--;
    if (after > 0) this.callersByInFlight[after] = (this.callersByInFlight[after] ?? 0) + 1;
  }

  private stateOf(key: string, limits: CallerLimits, now: number): CallerState {
    let state = this.callers.get(key);
    if (state && state.limits !== limits) state = undefined;
    if (!state) {
      if (this.callers.size >= MAX_TRACKED) this.forgetIdle();
      state = new CallerState(limits, now);
      this.callers.set(key, state);
    }
    return state;
  }

  private forgetIdle(): void {
    for (const [key, state] of this.callers) if (state.inFlight === 0) this.callers.delete(key);
  }

  private enter(caller: CallerState): Ticket {
    let state: 'running' | 'waiting' | 'done' = 'running';
    let turn: Promise<void> | undefined;
    const waiter: Waiter = { start: () => undefined };
    this.track(caller, () => {
      if (caller.running < caller.limits.maxConcurrent) {
        caller.running++;
        return;
      }
      state = 'waiting';
      turn = new Promise<void>((resolve) => {
        waiter.start = () => {
          state = 'running';
          resolve();
        };
      });
      caller.waiting.push(waiter);
    });
    const release = () => {
      if (state === 'done') return;
      this.track(caller, () => {
        if (state === 'running') {
          this.endRunning(caller);
        } else {
          caller.waiting.splice(caller.waiting.indexOf(waiter), 1);
        }
        state = 'done';
      });
    };
    return { admitted: true, turn, release };
  }
}
