// The classic libpcap file format (draft-ietf-opsawg-pcap, "PCAP Capture File Format"): a writer that
// streams Ethernet frames to a caller-supplied sink (the pcap port wrapper, `tsnet capture`), and a
// reader that parses a whole file held in a Buffer (tests, trace views), either byte order, micro- or
// nanosecond timestamps. No I/O here: the sink does the writing.
//
// File header (section 4):                       Packet record (section 5):
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |          Magic Number (0xA1B2C3D4 us / 0xA1B23C4D ns)         |  | Timestamp (seconds)       |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  | Timestamp (us or ns)      |
//   |      Major Version (2)        |      Minor Version (4)        |  | Captured Packet Length    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  | Original Packet Length    |
//   |                     Reserved1 (thiszone)                      |  | Packet Data ...           |
//   |                     Reserved2 (sigfigs)                       |
//   |                          SnapLen                              |
//   |                 LinkType (1 = LINKTYPE_ETHERNET)              |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { type Malformed, malformed } from './malformed.js';
import { checkUint } from './room.js';

// From the spec
export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;
export const PCAP_GLOBAL_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;
export const LINKTYPE_ETHERNET = 1;

// Our choice
/** tcpdump's default snap length: whole frames, jumbo included. */
export const PCAP_DEFAULT_SNAPLEN = 262144;
/** Records are gathered into chunks of this size before going to the sink (one allocation per chunk). */
export const PCAP_CHUNK_SIZE = 64 * 1024;

/** Anything with write(Buffer): an fs.WriteStream, a socket, or `{ write: (b) => fs.writeSync(fd, b) }`.
 *  The writer never reuses a Buffer it gave to the sink. */
export interface PcapSink {
  write(chunk: Buffer): unknown;
}

export interface PcapWriterOptions {
  snaplen?: number;
  linktype?: number;
  /** microseconds since the epoch; default: the wall clock via performance.timeOrigin + now() */
  clockMicros?: () => number;
  /** hand every record to the sink at once (for live viewers) instead of per 64 KiB chunk */
  immediate?: boolean;
}

export interface PcapWriter {
  /** Appends one frame; tsMicros defaults to the clock. Never throws for long frames (truncated to snaplen). */
  write(buf: Uint8Array, off: number, len: number, tsMicros?: number): void;
  /** Hands the records gathered so far to the sink. */
  flush(): void;
  /** Number of records written. */
  readonly records: number;
}

/** The 24-byte file header, little-endian, microsecond timestamps. */
export function pcapGlobalHeader(snaplen = PCAP_DEFAULT_SNAPLEN, linktype = LINKTYPE_ETHERNET): Buffer {
  const h = Buffer.alloc(PCAP_GLOBAL_HEADER_LEN);
  h.writeUInt32LE(PCAP_MAGIC_USEC, 0);
  h.writeUInt16LE(PCAP_VERSION_MAJOR, 4);
  h.writeUInt16LE(PCAP_VERSION_MINOR, 6);
  h.writeInt32LE(0, 8);
  h.writeUInt32LE(0, 12);
  h.writeUInt32LE(snaplen, 16);
  h.writeUInt32LE(linktype, 20);
  return h;
}

/** Writes the file header to the sink at once, then records as they come. */
export function createPcapWriter(sink: PcapSink, opts: PcapWriterOptions = {}): PcapWriter {
  const snaplen = opts.snaplen ?? PCAP_DEFAULT_SNAPLEN;
  checkUint(snaplen, 0x7fffffff, 'pcap snap length');
  const clock = opts.clockMicros ?? (() => Math.round((performance.timeOrigin + performance.now()) * 1000));
  sink.write(pcapGlobalHeader(snaplen, opts.linktype ?? LINKTYPE_ETHERNET));
  let chunk = Buffer.allocUnsafe(PCAP_CHUNK_SIZE);
  let used = 0;
  let records = 0;

  const flush = () => {
    if (used === 0) return;
    sink.write(chunk.subarray(0, used));
    chunk = Buffer.allocUnsafe(PCAP_CHUNK_SIZE);
    used = 0;
  };

  const write = (buf: Uint8Array, off: number, len: number, tsMicros?: number) => {
    const incl = Math.min(len, snaplen);
    const need = PCAP_RECORD_HEADER_LEN + incl;
    if (used + need > chunk.length) flush();
    if (need > chunk.length) chunk = Buffer.allocUnsafe(need);
    const ts = tsMicros ?? clock();
    const sec = Math.floor(ts / 1e6);
    chunk.writeUInt32LE(sec >>> 0, used);
    chunk.writeUInt32LE(ts - sec * 1e6, used + 4);
    chunk.writeUInt32LE(incl, used + 8);
    chunk.writeUInt32LE(len, used + 12);
    chunk.set(buf.subarray(off, off + incl), used + PCAP_RECORD_HEADER_LEN);
    used += need;
    records++;
    if (opts.immediate) flush();
  };

  return {
    write,
    flush,
    get records() {
      return records;
    },
  };
}

export interface PcapRecord {
  tsSec: number;
  tsUsec: number;
  tsNsec: number;
  capturedLength: number;
  originalLength: number;
  /** the captured bytes, a view */
  data: Buffer;
}

export interface PcapFile {
  byteOrder: 'le' | 'be';
  nanosecond: boolean;
  versionMajor: number;
  versionMinor: number;
  snaplen: number;
  linktype: number;
  records: PcapRecord[];
  /** true if the file ends in the middle of a record (an interrupted capture); that record is left out */
  truncated: boolean;
}

/** Parses a whole pcap file. Malformed only if the file header is bad; a cut-off last record sets
 *  `truncated` and keeps the complete records before it. */
export function decodePcap(buf: Buffer): PcapFile | Malformed {
  if (buf.length < PCAP_GLOBAL_HEADER_LEN) return malformed(`truncated: ${buf.length} bytes, pcap file header needs ${PCAP_GLOBAL_HEADER_LEN}`);
  const le = buf.readUInt32LE(0);
  const be = buf.readUInt32BE(0);
  let little: boolean;
  let nanosecond: boolean;
  if (le === PCAP_MAGIC_USEC || le === PCAP_MAGIC_NSEC) {
    little = true;
    nanosecond = le === PCAP_MAGIC_NSEC;
  } else if (be === PCAP_MAGIC_USEC || be === PCAP_MAGIC_NSEC) {
    little = false;
    nanosecond = be === PCAP_MAGIC_NSEC;
  } else {
    return malformed(`not a pcap file: magic 0x${be.toString(16).padStart(8, '0')}`);
  }
  const u16 = (o: number) => (little ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (little ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const file: PcapFile = {
    byteOrder: little ? 'le' : 'be',
    nanosecond,
    versionMajor: u16(4),
    versionMinor: u16(6),
    snaplen: u32(16),
    linktype: u32(20) & 0x0fffffff, // the top bits may carry FCS information (section 4)
    records: [],
    truncated: false,
  };
  if (file.versionMajor !== PCAP_VERSION_MAJOR) return malformed(`unsupported pcap version ${file.versionMajor}.${file.versionMinor}`);
  let pos = PCAP_GLOBAL_HEADER_LEN;
  while (pos < buf.length) {
    if (pos + PCAP_RECORD_HEADER_LEN > buf.length) { file.truncated = true; break; }
    const incl = u32(pos + 8);
    if (pos + PCAP_RECORD_HEADER_LEN + incl > buf.length) { file.truncated = true; break; }
    const frac = u32(pos + 4);
    file.records.push({
      tsSec: u32(pos),
      tsUsec: nanosecond ? Math.floor(frac / 1000) : frac,
      tsNsec: nanosecond ? frac : frac * 1000,
      capturedLength: incl,
      originalLength: u32(pos + 12),
      data: buf.subarray(pos + PCAP_RECORD_HEADER_LEN, pos + PCAP_RECORD_HEADER_LEN + incl),
    });
    pos += PCAP_RECORD_HEADER_LEN + incl;
  }
  return file;
}
