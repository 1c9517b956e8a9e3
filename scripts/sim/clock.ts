// The clock of the in-process server (and of its worker threads).
import type { Clock } from '../../lambdas/ports';

/**
 * The server's clock, optionally running faster than real time so a minute (and the push cap's
 * budget with it) passes in a few seconds. Factor 1 is the wall clock.
 */
export class ScaledClock implements Clock {
  /** `start`: the instant both clocks agree on (threads sharing one server clock pass the same). */
  constructor(
    readonly factor: number,
    readonly start: number = Date.now(),
  ) {}
  now(): Date {
    return new Date(this.start + (Date.now() - this.start) * this.factor);
  }
}
