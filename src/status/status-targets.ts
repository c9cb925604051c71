import { listClusters } from '../cluster/index.js';
import { TARGET_ORIGIN, type BrokerTarget } from '../context/index.js';
import { UsageError } from '../errors.js';
import { DEFAULT_ADMIN_PORT } from '../protocol/index.js';
import { readClusterAdminsFromState } from './collect-status.js';

/** A broker `rsb status` reads: its admin address, and the cluster it is read as part of. */
export interface StatusTarget {
  admin: string;
  cluster?: string | undefined;
}

/**
 * Which admin APIs `rsb status` reads for a target (src/context decides the target):
 * `--admin` addresses; the brokers of a cluster (a flag's or a context's); a context's
 * admin addresses; and with nothing said, every cluster of the state directory that has a
 * broker running, or else the broker `rsb start` runs by default.
 */
export function chooseStatusTargets(target: BrokerTarget): StatusTarget[] {
  if (target.admins) return target.admins.map((admin) => ({ admin }));
  if (target.cluster !== undefined) return readClusterAdminsFromState(target.cluster, target.stateDir).map((admin) => ({ admin, cluster: target.cluster }));
  if (target.origin === TARGET_ORIGIN.CONTEXT) {
    throw new UsageError(
      `context ${target.context} records no admin address for rsb status`,
      `Save it again with the brokers' admin API: rsb context add ${target.context} --force --broker ... --admin HOST:PORT`,
    );
  }
  const running = listClusters({ stateDir: target.stateDir }).clusters.filter((cluster) => cluster.running > 0);
  if (running.length === 0) return [{ admin: `127.0.0.1:${DEFAULT_ADMIN_PORT}` }];
  return running.flatMap((cluster) => readClusterAdminsFromState(cluster.name, target.stateDir).map((admin) => ({ admin, cluster: cluster.name })));
}
