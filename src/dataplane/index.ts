// Public API of the data plane: the learning switch, its FDB, MAC helpers and the ports it ships
// with. The control plane, the CLI (`tsnet switch`), tests and benchmarks import from here.
// VXLAN tunnel ports live in their own files (vxlan-*.ts) and are exported from there.
export * from './port.js';
export * from './mac.js';
export {
  createFdb, Fdb, DEFAULT_AGING_MS, DEFAULT_MAX_MACS,
  type FdbEntryView, type FdbKind, type FdbLookup, type FdbOptions, type FdbStats,
} from './fdb.js';
export * from './switch.js';
export * from './memory-port.js';
export * from './tap-port.js';
