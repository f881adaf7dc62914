/*
 * The codec's public surface: core messages <-> memberlist 0.2.2 bytes, byte-compatible with
 * Debian's serf 0.9.4 (wire spec: docs/memberlist-wire.md; golden bytes in test/fixtures/serf/). Decoding
 * throws only DecodeError; encoding throws EncodeError on messages the wire cannot carry. What
 * encoding and decoding remember lives in a CodecContext, one per driver or simulation.
 */
export {bytesToHost, hostToBytes, MappedAddresses} from "./address.ts";
export {compoundSize, encodeCompound, splitCompound} from "./compound.ts";
export {CodecContext} from "./context.ts";
export {
  COORDINATE_PING_VERSION,
  coordinatePayloadSize,
  decodeCoordinatePayload,
  encodeCoordinatePayload,
} from "./coordinate.ts";
export {crc32} from "./crc32.ts";
export {decodeMessage} from "./decode.ts";
export {encodedSize, encodeMessage} from "./encode.ts";
export {DecodeError, type DecodeErrorCode, EncodeError} from "./errors.ts";
export {GossipMemo} from "./gossip-memo.ts";
export {
  decryptPayload,
  ENCRYPTION_OVERHEAD,
  type EncryptionVersion,
  encryptedLength,
  encryptPacket,
  generateKeyBase64,
  InvalidKeyError,
  Keyring,
  keyringEdits,
} from "./keyring.ts";
export {
  addLabelHeader,
  HAS_LABEL,
  LABEL_MAX_BYTES,
  labelBytes,
  labelOverhead,
  readLabelHeader,
} from "./label.ts";
export {lzwCompress, lzwDecompress} from "./lzw.ts";
export {
  type DecodedPacket,
  decodePacket,
  decodePacketParts,
  encodePacket,
  PACKET_DECOMPRESSED_MAX,
  type PacketDecodeOptions,
  type PacketOptions,
} from "./packet.ts";
export {
  decodeTags,
  encodedTagsSize,
  encodeSerfLeaveIntent,
  encodeTags,
  InvalidTagsError,
  SERF_LEAVE_INTENT_TYPE,
  serfLeaveLTime,
  TAG_MAGIC_BYTE,
} from "./serf.ts";
export {
  decodeSerfConflictResponse,
  decodeSerfFilter,
  decodeSerfKeyRequest,
  decodeSerfKeyResponse,
  decodeSerfMessage,
  encodeSerfConflictResponse,
  encodeSerfFilter,
  encodeSerfKeyRequest,
  encodeSerfKeyResponse,
  encodeSerfMessage,
  QUERY_FLAG_ACK,
  QUERY_FLAG_NO_BROADCAST,
  type SerfEventsAt,
  type SerfFilter,
  type SerfJoin,
  type SerfKeyResponse,
  type SerfLeave,
  type SerfMemberInfo,
  type SerfMessage,
  SerfMessageType,
  type SerfPushPull,
  type SerfQuery,
  type SerfQueryResponse,
  type SerfRelay,
  type SerfUserEvent,
} from "./serf-messages.ts";
export {
  type DecodedStream,
  decodeStream,
  encodeStream,
  STREAM_BUFFER_MAX,
  type StreamDecodeOptions,
  type StreamOptions,
} from "./stream.ts";
export {
  COMPOUND_HEADER_OVERHEAD,
  COMPOUND_PART_OVERHEAD,
  COMPOUND_PARTS_MAX,
  MAX_PUSH_STATE_BYTES,
  META_MAX_SIZE,
  MessageType,
} from "./wire.ts";
