// tsnet as Docker's IPAM driver (`docker network create --ipam-driver tsnet`): RequestPool reserves a
// subnet (given by --subnet, or the first free default pool, never overlapping a tsnet network or
// another Docker pool), RequestAddress hands out the gateway and the endpoints' addresses, and both
// are released again. The allocation code is tsnet's own (ipam.ts); once CreateNetwork has mapped the
// pool onto a tsnet network, addresses come from that network's pool, which `tsnet run/connect` use
// too, so no address is ever handed out twice. Callers hold the controller lock.
import { badRequest, conflict } from '../errors.js';
import type { ControllerCore } from './controller-core.js';
import { dockerState, findDockerPool, type DockerPoolRecord } from './docker-state.js';
import {
  GATEWAY_ADDRESS_TYPE,
  LOCAL_ADDRESS_SPACE,
  REQUEST_ADDRESS_TYPE,
  TSNET_NETWORK_OPTION,
  type ReleaseAddressRequest,
  type RequestAddressRequest,
  type RequestAddressResponse,
  type RequestPoolRequest,
  type RequestPoolResponse,
} from './docker-protocol.js';
import { newId } from './ids.js';
import { allocate, createPool, loadPool, release, type IpamPool } from './ipam.js';
import { allocateGlobal } from './global-networks.js';

// --- our choice ---
/** PoolIDs are 32 hex digits: unique, and safe in an API path. */
const POOL_ID_HEX = 32;

/** Subnets taken by tsnet networks and by Docker pools not yet mapped onto one. */
function takenSubnets(core: ControllerCore): string[] {
  const pending = dockerState(core).pools.filter((p) => !p.networkId).map((p) => p.subnet);
  return [...core.state.networks.map((n) => n.ipam.subnet), ...pending];
}

/** The allocation state behind a pool: its network's pool once mapped, else its own. */
export function poolState(core: ControllerCore, rec: DockerPoolRecord): IpamPool {
  if (rec.networkId) {
    const net = core.state.networks.find((n) => n.id === rec.networkId);
    if (net) return net.pool as IpamPool;
  }
  if (!rec.pool) throw conflict('EDOCKER_POOL_GONE', `IPAM pool ${rec.id} lost its network; remove the Docker network and create it again.`);
  return rec.pool;
}

const withPrefix = (addr: string, subnet: string) => `${addr}/${subnet.split('/')[1]}`;
const stripPrefix = (addr: string) => addr.split('/')[0]!;

export async function requestPool(core: ControllerCore, req: RequestPoolRequest): Promise<RequestPoolResponse> {
  if (req.V6) throw badRequest('EDOCKER_NO_IPV6', 'tsnet IPAM has no IPv6 pools; create the network without --ipv6.');
  const space = req.AddressSpace || LOCAL_ADDRESS_SPACE;
  const st = dockerState(core);
  const id = newId().slice(0, POOL_ID_HEX);
  const named = req.Options?.[TSNET_NETWORK_OPTION];
  if (named) {
    // --ipam-opt tsnet.network=NAME: the pool is that existing tsnet network's subnet
    const net = core.findNetwork(named);
    // Docker re-requests a pool it finds on a local route (the network's own gateway interface is one)
    // unless --subnet was given: without it Docker would loop on RequestPool forever
    if (!req.Pool) {
      throw badRequest('EDOCKER_NEEDS_SUBNET', `with --ipam-opt ${TSNET_NETWORK_OPTION}=${net.name} also pass --subnet ${net.ipam.subnet} (Docker refuses a pool it sees on a local interface otherwise).`);
    }
    if (req.Pool !== net.ipam.subnet) {
      throw conflict('EDOCKER_SUBNET_MISMATCH', `tsnet network ${net.name} has subnet ${net.ipam.subnet}, not ${req.Pool}; drop --subnet or give that one.`);
    }
    st.pools.push({ id, addressSpace: space, subnet: net.ipam.subnet, networkId: net.id });
    await core.save();
    return { PoolID: id, Pool: net.ipam.subnet, Data: {} };
  }
  const pool = createPool({ subnet: req.Pool || undefined, ipRange: req.SubPool || undefined }, takenSubnets(core), await core.deps.hostRoutes());
  st.pools.push({ id, addressSpace: space, subnet: pool.subnet, pool });
  await core.save();
  core.deps.log(`docker IPAM: pool ${pool.subnet} reserved (${id.slice(0, 12)})`);
  return { PoolID: id, Pool: pool.subnet, Data: {} };
}

export async function releasePool(core: ControllerCore, poolId: string): Promise<void> {
  const st = dockerState(core);
  const rec = findDockerPool(core, poolId);
  st.pools = st.pools.filter((p) => p !== rec);
  await core.save();
  core.deps.log(`docker IPAM: pool ${rec.subnet} released`);
}

export async function requestAddress(core: ControllerCore, req: RequestAddressRequest): Promise<RequestAddressResponse> {
  const rec = findDockerPool(core, req.PoolID);
  const pool = poolState(core, rec);
  const wanted = req.Address ? stripPrefix(req.Address) : undefined;
  if (req.Options?.[REQUEST_ADDRESS_TYPE] === GATEWAY_ADDRESS_TYPE) {
    // the gateway is reserved in the pool itself (never handed out), not allocated
    if (wanted && wanted !== pool.gateway) {
      if (rec.networkId) throw conflict('EDOCKER_GATEWAY_MISMATCH', `the tsnet network of this pool has gateway ${pool.gateway}; drop --gateway or give that one.`);
      const redone = createPool({ subnet: pool.subnet, gateway: wanted, ipRange: pool.ipRange, auxAddresses: pool.auxAddresses }, [], []);
      if (pool.allocated.includes(redone.gateway)) throw conflict('EADDR_IN_USE', `gateway ${wanted} is already in use in pool ${pool.subnet}.`);
      rec.pool = { ...loadPool(pool), gateway: redone.gateway };
      await core.save();
      return { Address: withPrefix(redone.gateway, pool.subnet), Data: {} };
    }
    return { Address: withPrefix(pool.gateway, pool.subnet), Data: {} };
  }
  // a global network: this host's block of the subnet, checked against every host's endpoints
  const net = rec.networkId ? core.state.networks.find((n) => n.id === rec.networkId) : undefined;
  const addr = net?.scope === 'global' && core.deps.cluster ? await allocateGlobal(core, net, wanted) : allocate(pool, wanted);
  await core.save();
  return { Address: withPrefix(addr, pool.subnet), Data: {} };
}

export async function releaseAddress(core: ControllerCore, req: ReleaseAddressRequest): Promise<void> {
  const rec = findDockerPool(core, req.PoolID);
  const pool = poolState(core, rec);
  const addr = stripPrefix(req.Address);
  if (addr === pool.gateway) return;
  if (release(pool, addr)) await core.save();
}
