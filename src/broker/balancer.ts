import type { ServiceInstance } from './service-instance.js';

export const LB_STRATEGY = {
  ROUND_ROBIN: 'round-robin',
  WEIGHTED_RANDOM: 'weighted-random',
  LEAST_OUTSTANDING: 'least-outstanding',
} as const;
export type LbStrategy = (typeof LB_STRATEGY)[keyof typeof LB_STRATEGY];

/**
 * Picks the instance of one service a request goes to, among those available (circuit
 * not open, under the in-flight cap). One balancer per service; `update` is called when
 * the service's instances change, `pick` per request: O(1) and allocation-free on the
 * common path, a linear scan only when the first choice is not available.
 */
export interface Balancer {
  readonly strategy: LbStrategy;
  update(instances: readonly ServiceInstance[]): void;
  pick(instances: readonly ServiceInstance[]): ServiceInstance | undefined;
}

export function createBalancer(strategy: LbStrategy): Balancer {
  switch (strategy) {
    case LB_STRATEGY.ROUND_ROBIN:
      return new RoundRobinBalancer();
    case LB_STRATEGY.WEIGHTED_RANDOM:
      return new WeightedRandomBalancer();
    case LB_STRATEGY.LEAST_OUTSTANDING:
      return new LeastOutstandingBalancer();
  }
}

/** Each instance in turn, skipping those not available. */
class RoundRobinBalancer implements Balancer {
  readonly strategy = LB_STRATEGY.ROUND_ROBIN;
  private cursor = 0;

  update(): void {}

  pick(instances: readonly ServiceInstance[]): ServiceInstance | undefined {
    const count = instances.length;
    for (let tries = 0; tries < count; tries++) {
      if (this.cursor >= count) this.cursor = 0;
      const instance = instances[this.cursor++]!;
      if (instance.isAvailable) return instance;
    }
    return undefined;
  }
}

/**
 * At random, in proportion to the weight each instance declared in its app info
 * (`{"weight": 3}`; 1 when absent). Cumulative weights are rebuilt when instances change,
 * so a pick is one random number and a binary search.
 */
class WeightedRandomBalancer implements Balancer {
  readonly strategy = LB_STRATEGY.WEIGHTED_RANDOM;
  private cumulative = new Float64Array(0);

  update(instances: readonly ServiceInstance[]): void {
    this.cumulative = new Float64Array(instances.length);
    let total = 0;
    instances.forEach((instance, index) => (this.cumulative[index] = total += instance.weight));
  }

  pick(instances: readonly ServiceInstance[]): ServiceInstance | undefined {
    const count = instances.length;
    if (count === 0 || this.cumulative.length !== count) return undefined;
    const target = Math.random() * this.cumulative[count - 1]!;
    let low = 0;
    let high = count - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.cumulative[middle]! > target) high = middle;
      else low = middle + 1;
    }
    const chosen = instances[low]!;
    return chosen.isAvailable ? chosen : this.pickAmongAvailable(instances);
  }

  /** The first choice is excluded: draw again by weight among the instances still available. */
  private pickAmongAvailable(instances: readonly ServiceInstance[]): ServiceInstance | undefined {
    let total = 0;
    for (const instance of instances) if (instance.isAvailable) total += instance.weight;
    if (total === 0) return undefined;
    let target = Math.random() * total;
    let last: ServiceInstance | undefined;
    for (const instance of instances) {
      if (!instance.isAvailable) continue;
      last = instance;
      target -= instance.weight;
      if (target < 0) return instance;
    }
    return last;
  }
}

/**
 * The power of two choices: two instances drawn at random, the one with fewer requests in
 * flight wins. Nearly as good as asking every instance, at the cost of two.
 */
class LeastOutstandingBalancer implements Balancer {
  readonly strategy = LB_STRATEGY.LEAST_OUTSTANDING;

  update(): void {}

  pick(instances: readonly ServiceInstance[]): ServiceInstance | undefined {
    const count = instances.length;
    if (count <= 1) return count === 1 && instances[0]!.isAvailable ? instances[0] : undefined;
    const first = (Math.random() * count) | 0;
    let second = (Math.random() * (count - 1)) | 0;
    if (second >= first) second++;
    const a = instances[first]!;
    const b = instances[second]!;
    if (a.isAvailable && b.isAvailable) return b.inFlight < a.inFlight ? b : a;
    if (a.isAvailable) return a;
    if (b.isAvailable) return b;
    let best: ServiceInstance | undefined;
    for (const instance of instances) if (instance.isAvailable && (best === undefined || instance.inFlight < best.inFlight)) best = instance;
    return best;
  }
}
