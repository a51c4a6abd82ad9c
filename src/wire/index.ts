// The public face of src/wire: every codec re-exported, so other layers import from 'src/wire/index.js'.
// Pure codecs over Buffer: no I/O, no imports from other layers except src/errors.ts.
export * from './malformed.js';
export * from './checksum.js';
export * from './mac.js';
export * from './ip-addr.js';
export * from './ethernet.js';
export * from './arp.js';
export * from './ipv4.js';
export * from './ipv6.js';
export * from './udp.js';
export * from './icmp.js';
export * from './vxlan.js';
export * from './dns-name.js';
export * from './dns.js';
export * from './pcap.js';
export * from './virtio-net-hdr.js';
export * from './inet-checksum.js';
export * from './tcp.js';
