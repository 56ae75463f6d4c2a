import type { CallerLimits } from '@rollcall/common';

/** Why a request was not let in. */
export type RefusalReason = 'rate' | 'in-flight';

export interface Refusal {
  admitted: false;
  reason: RefusalReason;
  /** Whole seconds the caller should wait before it tries again (the `Retry-After` header). */
  retryAfterSeconds: number;
  detail: string;
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

  constructor(
    readonly limits: CallerLimits,
    now: number,
  ) {
    this.tokens = limits.burst;
    this.refilledAt = now;
  }

  get inFlight(): number {
    return this.running + this.waiting.length;
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
 *   order, up to `maxInFlight` running and waiting together. Past that a caller is running away: 429.
 * - **Rate**: a token bucket (`ratePerSecond`, `burst`). A caller over its rate is refused (429) only while
 *   another caller has requests in flight: alone, it may use the whole server (work-conserving), and
 *   when callers compete, one of them flooding cannot take more than its rate from the others.
 */
export class Admission {
  private readonly callers = new Map<string, CallerState>();
  /** Callers with at least one request in flight. */
  private busyCallers = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  admit(key: string, limits: CallerLimits): Ticket | Refusal {
    const now = this.now();
    const caller = this.stateOf(key, limits, now);
    if (caller.inFlight >= limits.maxInFlight) {
      return {
        admitted: false,
        reason: 'in-flight',
        retryAfterSeconds: 1,
        detail: `Too many requests in flight: at most ${limits.maxInFlight} at once for one token`,
      };
    }
    caller.refill(now);
    if (caller.tokens >= 1) {
      caller.tokens -= 1;
    } else if (this.othersBusy(caller)) {
      return {
        admitted: false,
        reason: 'rate',
        retryAfterSeconds: Math.max(1, Math.ceil((1 - caller.tokens) / limits.ratePerSecond)),
        detail:
          `Rate limit: more than ${limits.ratePerSecond} requests/s (burst ${limits.burst}) while other ` +
          'callers are being served',
      };
    }
    return this.enter(caller);
  }

  /** Requests in flight (running and waiting) for a caller; for tests and metrics. */
  inFlight(key: string): number {
    return this.callers.get(key)?.inFlight ?? 0;
  }

  private othersBusy(caller: CallerState): boolean {
    return this.busyCallers - (caller.inFlight > 0 ? 1 : 0) > 0;
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
    if (caller.inFlight === 0) this.busyCallers++;
    let state: 'running' | 'waiting' | 'done';
    let turn: Promise<void> | undefined;
    const waiter: Waiter = { start: () => undefined };
    if (caller.running < caller.limits.maxConcurrent) {
      caller.running++;
      state = 'running';
    } else {
      state = 'waiting';
      turn = new Promise<void>((resolve) => {
        waiter.start = () => {
          state = 'running';
          resolve();
        };
      });
      caller.waiting.push(waiter);
    }
    const release = () => {
      if (state === 'done') return;
      if (state === 'running') {
        caller.running--;
        const next = caller.waiting.shift();
        if (next) {
          caller.running++;
          next.start();
        }
      } else {
        caller.waiting.splice(caller.waiting.indexOf(waiter), 1);
      }
      state = 'done';
      if (caller.inFlight === 0) this.busyCallers--;
    };
    return { admitted: true, turn, release };
  }
}
