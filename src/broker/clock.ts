/**
 * The broker's two clocks, set where time is read anyway so that no request reads one.
 *
 * `now` is milliseconds (performance.now()) when the chunk being handled arrived: the
 * clock of rate limits, circuit breakers and latency. Read once per chunk of frames rather
 * than per request, it costs nothing per request, and the time between a request's chunk
 * and its answer's chunk is the latency the broker adds and sees.
 *
 * `seconds` is whole seconds since start, advanced once a second: a coarse clock sessions
 * stamp their activity with, at no cost per frame.
 */
export class BrokerClock {
  now = performance.now();
  seconds = 0;
  readonly startedAt = Date.now();
}
