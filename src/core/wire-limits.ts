/*
 * The memberlist limits the core's own rules depend on (docs/memberlist-wire.md §3.2, §5): the metadata ceiling the
 * node enforces on itself, and the compound framing costs its piggyback budget counts. They are
 * defined here, once, because the core may not import the codec; the codec takes them from here.
 */

/** Largest node metadata memberlist accepts (`MetaMaxSize`). */
export const META_MAX_SIZE = 512;
/** Bytes of the compound header: type byte + part count (`compoundHeaderOverhead`). */
export const COMPOUND_HEADER_OVERHEAD = 2;
/** Bytes of framing each part costs inside a compound: its uint16 length (`compoundOverhead`). */
export const COMPOUND_PART_OVERHEAD = 2;
/**
 * At most this many parts in one compound. Go's decoder computes `N*2` in uint8 and misparses
 * above 127 (docs/memberlist-wire.md §3.2); memberlist's own senders stay far below because of the 1400-byte budget.
 */
export const COMPOUND_PARTS_MAX = 64;
/**
 * Largest ack payload the core accepts from its host (`setAckPayload`). memberlist sets no limit,
 * but an ack must fit one datagram with room to spare; serf's 8-dimension coordinate is 130 bytes.
 */
export const ACK_PAYLOAD_MAX_BYTES = 1_024;
