/**
 * What rsb's own commands say when they are ready (`announceReady`), read by whoever
 * launched them: the contract between the two processes, in one place. (A bench role's
 * message is src/bench's own: both of its ends live there.)
 */

export interface ListenAddress {
  host: string;
  port: number;
}

/** `rsb start`, once it listens and its admin server (if any) is up. */
export interface BrokerReady {
  id: string;
  /** Where it accepts RSocket connections: the free port it got when asked for 0. */
  host: string;
  port: number;
  /** Every listener's URI (`tcp://…`, `tcps://…`, `ws://…/path`), real ports filled in. */
  uris: string[];
  /** Its admin HTTP port; null without an admin server. */
  adminPort: number | null;
}

/** `rsb mock`, once every instance is registered. */
export interface MockReady {
  service: string;
  instances: number;
  /** The brokers its instances registered with, `host:port`. */
  brokers: string[];
  /** Its listener for direct connections (`--listen`), or null. */
  direct: ListenAddress | null;
}
