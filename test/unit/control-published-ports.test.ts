// The two ways a published port is asked for: `tsnet run -p` text (published-ports.ts) and Docker's
// com.docker.network.portmap in ProgramExternalConnectivity (docker-ports.ts). Pure parsing: the
// iptables side is in test/integration/egress-nat and docker-ports.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePublishSpec } from '../../src/control/published-ports.js';
import { parsePortmap, PORTMAP_OPTION } from '../../src/control/docker-ports.js';

const t = suite('published ports');

t('-p HOSTPORT:PORT, with a host address and a protocol', () => {
  assert.equal(parsePublishSpec('8080:80'), { proto: 'tcp', port: 80, hostPort: 8080 });
  assert.equal(parsePublishSpec('127.0.0.1:5353:53/udp'), { proto: 'udp', port: 53, hostPort: 5353, hostIp: '127.0.0.1' });
  assert.equal(parsePublishSpec('0.0.0.0:9000:9000/sctp'), { proto: 'sctp', port: 9000, hostPort: 9000 });
});

t('-p refuses what it cannot publish, naming the form', () => {
  for (const bad of ['80', '0:80', '8080:70000', '8080:80/icmp', '300.1.1.1:80:80', '[::1]:80:80', '8080-8090:80', '']) {
    assert.throws(() => parsePublishSpec(bad), /write it as HOSTPORT:PORT/, bad);
  }
});

t("Docker's portmap: protocol numbers, host address, IPv6 host addresses left out, no host port refused", () => {
  const options = { [PORTMAP_OPTION]: [
    { Proto: 6, IP: '', Port: 80, HostIP: '', HostPort: 8080, HostPortEnd: 8080 },
    { Proto: 17, IP: '', Port: 53, HostIP: '10.0.0.5', HostPort: 5353, HostPortEnd: 5353 },
  ] };
  assert.equal(parsePortmap(options), [
    { proto: 'tcp', port: 80, hostPort: 8080 },
    { proto: 'udp', port: 53, hostPort: 5353, hostIp: '10.0.0.5' },
  ]);
  assert.equal(parsePortmap({}), []);
  assert.throws(() => parsePortmap({ [PORTMAP_OPTION]: [{ Proto: 6, Port: 80, HostPort: 0 }] }), /with a host port \(-p HOSTPORT:80\)/);
  assert.throws(() => parsePortmap({ [PORTMAP_OPTION]: [{ Proto: 1, Port: 80, HostPort: 80 }] }), /not IP protocol 1/);
  // Docker 27+ sends [::] next to 0.0.0.0 for each -p: the IPv6 one cannot reach an IPv4 network
  assert.equal(parsePortmap({ [PORTMAP_OPTION]: [{ Proto: 6, Port: 80, HostIP: '0.0.0.0', HostPort: 80 }, { Proto: 6, Port: 80, HostIP: '::', HostPort: 80 }] }), [{ proto: 'tcp', port: 80, hostPort: 80 }]);
});

t.run();
