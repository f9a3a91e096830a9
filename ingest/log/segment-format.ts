// Write-ahead log, on-disk framing: how one record (an Arrow IPC payload from the pool) is laid
// out in a segment file, and how segment files are named. Used by the writer, the reader and recovery.
import { crc32 } from 'node:zlib';

/** "BLW1" in little-endian byte order; the trailing digit is the format version. */
export const RECORD_MAGIC = 0x3157_4c42;
/** magic u32 | payload length u32 | lsn u64 | crc32 u32, all little-endian, then the payload. */
export const HEADER_BYTES = 20;
/** Larger payloads are a caller bug (the edge caps bodies at 1 MiB); also bounds what a reader allocates. */
export const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

const SEGMENT_NAME = /^(\d{20})\.wal$/;
const TWO_32 = 2 ** 32;

/** `<first lsn, zero-padded to 20 digits>.wal`: lexical order is LSN order, and the name alone
 * says where a segment starts, so an empty segment still carries the log's position. */
export function segmentFileName(firstLsn: number): string {
  return `${String(firstLsn).padStart(20, '0')}.wal`;
}

/** The segment's first LSN, or null for any other file name. */
export function parseSegmentFileName(name: string): number | null {
  const m = SEGMENT_NAME.exec(name);
  if (m === null) return null;
  const lsn = Number(m[1]);
  return Number.isSafeInteger(lsn) && lsn >= 1 ? lsn : null;
}

/** CRC-32 over the first 16 header bytes (magic, length, lsn) and the payload, so a torn or
 * misplaced header fails the same check as a damaged payload. zlib's crc32 runs ~3.7 GB/s here. */
export function recordChecksum(header: Uint8Array, payload: Uint8Array): number {
  return crc32(payload, crc32(header.subarray(0, 16)));
}

/** The 20-byte header for `payload` at `lsn`. Allocated from Node's shared pool: no per-record syscall. */
export function encodeRecordHeader(lsn: number, payload: Uint8Array): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32LE(RECORD_MAGIC, 0);
  header.writeUInt32LE(payload.byteLength, 4);
  header.writeUInt32LE(lsn % TWO_32, 8);
  header.writeUInt32LE(Math.floor(lsn / TWO_32), 12);
  header.writeUInt32LE(recordChecksum(header, payload), 16);
  return header;
}

export interface RecordHeader {
  magic: number;
  length: number;
  lsn: number;
  checksum: number;
}

/** Reads a header at `offset`; the caller checks magic, length and checksum. */
export function decodeRecordHeader(buf: Buffer, offset: number): RecordHeader {
  return {
    magic: buf.readUInt32LE(offset),
    length: buf.readUInt32LE(offset + 4),
    lsn: buf.readUInt32LE(offset + 8) + buf.readUInt32LE(offset + 12) * TWO_32,
    checksum: buf.readUInt32LE(offset + 16),
  };
}
