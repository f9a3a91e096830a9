// Writes an Arrow IPC stream from column buffers the pool has already laid out: the schema message
// (encoded once per process), one dictionary batch per dictionary column, one record batch, and the
// end-of-stream marker. Format: https://arrow.apache.org/docs/format/Columnar.html#ipc-streaming-format
//
// Why not tableToIPC: it wraps the buffers in Data, Vectors and a Table, then visits them to copy
// every buffer into the body again; for our 39 columns that was a fifth of the pool's time. Here each
// buffer is copied once, into a body allocated at its final size.
import * as flatbuffers from 'flatbuffers';
import { Message, type Schema } from 'apache-arrow';
import { Buffer as FbBuffer } from 'apache-arrow/fb/buffer';
import { DictionaryBatch as FbDictionaryBatch } from 'apache-arrow/fb/dictionary-batch';
import { FieldNode as FbFieldNode } from 'apache-arrow/fb/field-node';
import { Message as FbMessage } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { MetadataVersion } from 'apache-arrow/fb/metadata-version';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';

/** One column's buffers in Arrow's layout, validity bitmap first (null when nothing is null). */
export interface ColumnBuffers {
  readonly length: number;
  readonly nullCount: number;
  readonly validity: Uint8Array | null;
  /** After the validity bitmap: values (fixed width, dictionary indices), or offsets then bytes (Utf8). */
  readonly buffers: readonly Uint8Array[];
}

const pad8 = (n: number): number => (n + 7) & ~7;
const CONTINUATION = 0xffffffff;

/**
 * The flatbuffer of a RecordBatch header over `columns`, whose body buffers start at 0, and the
 * body's length: the same walk that places the buffers measures it.
 */
function recordBatchHeader(b: flatbuffers.Builder, length: number, columns: readonly ColumnBuffers[]): { header: number; bodyBytes: number } {
  const regions: [number, number][] = [];
  let offset = 0;
  for (const c of columns) {
    const validity = c.validity && c.nullCount > 0 ? c.validity.byteLength : 0;
    regions.push([offset, validity]);
    offset += pad8(validity);
    for (const buf of c.buffers) {
      regions.push([offset, buf.byteLength]);
      offset += pad8(buf.byteLength);
    }
  }
  // Flatbuffer vectors of structs are written back to front.
  FbRecordBatch.startNodesVector(b, columns.length);
  for (let i = columns.length - 1; i >= 0; i--) FbFieldNode.createFieldNode(b, BigInt(columns[i]!.length), BigInt(columns[i]!.nullCount));
  const nodes = b.endVector();
  FbRecordBatch.startBuffersVector(b, regions.length);
  for (let i = regions.length - 1; i >= 0; i--) FbBuffer.createBuffer(b, BigInt(regions[i]![0]), BigInt(regions[i]![1]));
  const buffers = b.endVector();
  FbRecordBatch.startRecordBatch(b);
  FbRecordBatch.addLength(b, BigInt(length));
  FbRecordBatch.addNodes(b, nodes);
  FbRecordBatch.addBuffers(b, buffers);
  return { header: FbRecordBatch.endRecordBatch(b), bodyBytes: offset };
}

/** One encapsulated message's metadata (continuation, padded length, flatbuffer, padding) and its body's length. */
function metadata(length: number, columns: readonly ColumnBuffers[], dictionaryId?: number): { meta: Uint8Array; bodyBytes: number } {
  const b = new flatbuffers.Builder(512 + columns.length * 64);
  const batch = recordBatchHeader(b, length, columns);
  let header = batch.header;
  if (dictionaryId !== undefined) {
    FbDictionaryBatch.startDictionaryBatch(b);
    FbDictionaryBatch.addId(b, BigInt(dictionaryId));
    FbDictionaryBatch.addData(b, header);
    FbDictionaryBatch.addIsDelta(b, false);
    header = FbDictionaryBatch.endDictionaryBatch(b);
  }
  const type = dictionaryId === undefined ? MessageHeader.RecordBatch : MessageHeader.DictionaryBatch;
  b.finish(FbMessage.createMessage(b, MetadataVersion.V5, type, header, BigInt(batch.bodyBytes), 0));
  return { meta: encapsulate(b.asUint8Array()), bodyBytes: batch.bodyBytes };
}

/** Frames a Message flatbuffer: continuation marker, its length padded so the body starts 8-aligned, the bytes. */
function encapsulate(fb: Uint8Array): Uint8Array {
  const out = new Uint8Array(pad8(8 + fb.byteLength));
  const view = new DataView(out.buffer);
  view.setUint32(0, CONTINUATION, true);
  view.setInt32(4, out.byteLength - 8, true);
  out.set(fb, 8);
  return out;
}

/** A message whose body holds `columns`' buffers, as written by `writeStream`. */
interface Part {
  meta: Uint8Array;
  bodyBytes: number;
  columns: readonly ColumnBuffers[];
}

/**
 * The whole IPC stream: `schema` is the encapsulated schema message (see schemaMessage), then a
 * dictionary batch per entry of `dictionaries` (id, values column), then one record batch.
 */
export function writeStream(schema: Uint8Array, dictionaries: readonly (readonly [id: number, values: ColumnBuffers])[], length: number, columns: readonly ColumnBuffers[]): Uint8Array {
  const parts: Part[] = dictionaries.map(([id, values]) => ({ ...metadata(values.length, [values], id), columns: [values] }));
  parts.push({ ...metadata(length, columns), columns });
  let total = schema.byteLength + 8;
  for (const p of parts) total += p.meta.byteLength + p.bodyBytes;
  const out = new Uint8Array(total); // zeroed: padding bytes are zeros
  out.set(schema, 0);
  let pos = schema.byteLength;
  for (const p of parts) {
    out.set(p.meta, pos);
    pos += p.meta.byteLength;
    for (const c of p.columns) {
      if (c.validity && c.nullCount > 0) {
        out.set(c.validity, pos);
        pos += pad8(c.validity.byteLength);
      }
      for (const buf of c.buffers) {
        out.set(buf, pos);
        pos += pad8(buf.byteLength);
      }
    }
  }
  // End of stream: continuation marker and a zero length.
  new DataView(out.buffer).setUint32(pos, CONTINUATION, true);
  return out;
}

/** The encapsulated schema message for `schema`, to encode once and pass to every writeStream. */
export function schemaMessage(schema: Schema): Uint8Array {
  return encapsulate(Message.encode(Message.from(schema)));
}
