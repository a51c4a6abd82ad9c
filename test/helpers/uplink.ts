// An "outside world" for a test host: a namespace joined to the host's namespace by a veth, with
// 203.0.113.1 (TEST-NET-3) there and 203.0.113.2 plus a default route on the host side. The outside has
// no route to any container subnet, so a container reaches it only through the host's NAT, and it
// reaches a container only through a published port. Used by egress-nat and docker-ports tests.
import { ip, makeNetns, makeVeth } from './netns.js';

export const OUTSIDE_IP = '203.0.113.1';
export const UPLINK_IP = '203.0.113.2';

/** Builds the outside for `hostNs`; returns the outside namespace's name (removed by cleanupAll). */
export function makeUplink(hostNs: string): string {
  const outside = makeNetns('tout');
  const [up, out] = makeVeth({ ns: hostNs }, { ns: outside });
  ip('-n', hostNs, 'addr', 'add', `${UPLINK_IP}/24`, 'dev', up);
  ip('-n', hostNs, 'link', 'set', up, 'up');
  ip('-n', hostNs, 'route', 'add', 'default', 'via', OUTSIDE_IP);
  ip('-n', outside, 'addr', 'add', `${OUTSIDE_IP}/24`, 'dev', out);
  ip('-n', outside, 'link', 'set', out, 'up');
  return outside;
}
