// TCP header layout (RFC 9293 section 3.1): field offsets from the start of the TCP header, the
// flag bits, and the option kinds tsnet reads. Shared by everything in the data plane and the
// observers that look inside TCP segments (MSS clamping, software GSO, userspace GRO, frame
// summaries); no parsing here.

// ---- from the spec (RFC 9293 section 3.1; RFC 3168 section 6.1 for ECE/CWR) ----
export const TCP_SEQ_OFF = 4;
export const TCP_ACK_OFF = 8;
/** High nibble: header length in 32-bit words (low nibble reserved; bit 0 is AccECN's AE). */
export const TCP_DATA_OFF_OFF = 12;
export const TCP_FLAGS_OFF = 13;
export const TCP_CHECKSUM_OFF = 16;
export const TCP_MIN_HEADER_LEN = 20;
export const TCP_MAX_HEADER_LEN = 60;
export const TCP_FLAG_FIN = 0x01;
export const TCP_FLAG_SYN = 0x02;
export const TCP_FLAG_RST = 0x04;
export const TCP_FLAG_PSH = 0x08;
export const TCP_FLAG_ACK = 0x10;
export const TCP_FLAG_URG = 0x20;
export const TCP_FLAG_ECE = 0x40;
export const TCP_FLAG_CWR = 0x80;
/** Option kinds (RFC 9293 section 3.2). */
export const TCP_OPT_END = 0;
export const TCP_OPT_NOP = 1;
export const TCP_OPT_MSS = 2;
export const TCP_OPT_MSS_LEN = 4;
