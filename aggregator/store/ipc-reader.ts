// Reads an Arrow IPC stream (one log record's payload) down to its raw column buffers: the schema's
// fields, and per record batch each column's length, null count and buffers, with dictionaries
// resolved. No Vector or Table is built: the store only copies these buffers into DuckDB chunks.
//
// Why not tableFromIPC: it builds a Table of Vectors through apache-arrow's visitors, ~300 µs a record
// whatever its size (measured here for 50 to 1000 rows; 24 of our columns are dictionaries, each its
// own message), while parsing the messages themselves costs ~45 µs. On the edge's thread that was
// 100–500 ms of blocking per apply at 1,000 records/s.
import * as flatbuffers from 'flatbuffers';
import { DataType, MessageReader, type Field } from 'apache-arrow';
import { Buffer as FbBuffer } from 'apache-arrow/fb/buffer';
import { DictionaryBatch as FbDictionaryBatch } from 'apache-arrow/fb/dictionary-batch';
import { Field as FbField } from 'apache-arrow/fb/field';
import { FieldNode as FbFieldNode } from 'apache-arrow/fb/field-node';
import { Message as FbMessage } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { Schema as FbSchema } from 'apache-arrow/fb/schema';

/** One column of one batch: `buffers` in Arrow's layout for the type (validity first). */
export interface RawColumn {
  readonly type: DataType;
  readonly length: number;
  readonly nullCount: number;
  /** Fixed width: [validity, values]; Utf8: [validity, offsets, bytes]; dictionary: [validity, indices]. */
  readonly buffers: readonly Uint8Array[];
  /** Dictionary-encoded columns: the values (a Utf8 column). */
  readonly dictionary?: RawColumn;
}

export interface RawBatch {
  readonly length: number;
  readonly columns: readonly RawColumn[];
}

export interface RawStream {
  readonly fields: readonly Field[];
  readonly batches: readonly RawBatch[];
}

/** Buffers each type has in a record batch (after the validity bitmap). */
function bufferCount(type: DataType): number {
  if (DataType.isDictionary(type)) return 2;
  if (DataType.isUtf8(type) || DataType.isBinary(type)) return 3;
  if (DataType.isInt(type) || DataType.isFloat(type) || DataType.isDate(type) || DataType.isTimestamp(type) || DataType.isBool(type)) return 2;
  throw new TypeError(`unsupported Arrow type in a log payload: ${String(type)}`);
}

/** A view of `bytes` whose offset suits 8-byte typed arrays (copied when the body is misaligned). */
const aligned = (bytes: Uint8Array): Uint8Array => (bytes.byteOffset % 8 === 0 ? bytes : bytes.slice());

/** A record batch's columns (`meta` is its flatbuffer header): each field node's buffers, sliced from `body` and bounds-checked. */
function readColumns(meta: FbRecordBatch, body: Uint8Array, types: readonly DataType[], dictionaries: ReadonlyMap<number, RawColumn>): RawColumn[] {
  const batchLength = Number(meta.length());
  let node = 0;
  let buf = 0;
  const nodes = meta.nodesLength();
  const regions = meta.buffersLength();
  return types.map((type) => {
    if (node >= nodes) throw new RangeError('Arrow payload has fewer field nodes than its schema has fields');
    const n = meta.nodes(node++, FIELD_NODE)!;
    const count = bufferCount(type);
    const buffers: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      if (buf >= regions) throw new RangeError('Arrow payload has fewer buffers than its schema needs');
      const region = meta.buffers(buf++, BUFFER)!;
      const offset = Number(region.offset());
      const length = Number(region.length());
      if (offset < 0 || length < 0 || offset + length > body.byteLength) throw new RangeError('Arrow payload buffer out of bounds');
      buffers.push(aligned(body.subarray(offset, offset + length)));
    }
    const column = { type, length: Number(n.length()), nullCount: Number(n.nullCount()), buffers };
    // Readers size their loops by the batch's length; every column must have exactly that many rows.
    if (column.length !== batchLength || column.nullCount < 0 || column.nullCount > column.length) throw new RangeError('Arrow payload column length does not match its batch');
    if (column.nullCount > 0 && buffers[0]!.byteLength * 8 < column.length) throw new RangeError('Arrow payload validity bitmap shorter than its column');
    if (!DataType.isDictionary(type)) return column;
    const dictionary = dictionaries.get(Number(type.id));
    if (!dictionary) throw new RangeError(`Arrow payload lacks dictionary ${type.id}`);
    return { ...column, dictionary };
  });
}

// Reused accessor objects: the generated flatbuffer classes read fields lazily through them.
const FIELD_NODE = new FbFieldNode();
const BUFFER = new FbBuffer();
const MESSAGE = new FbMessage();
const RECORD_BATCH = new FbRecordBatch();
const DICTIONARY_BATCH = new FbDictionaryBatch();

/**
 * The last schema seen, by its message bytes: every payload of one pool version starts with the same
 * schema message, and decoding its flatbuffer into Fields was a large share of this module's time.
 */
let schemaCache: { bytes: Buffer; fields: Field[] } | undefined;

/** Limits a schema must keep before apache-arrow decodes it (its decoder trusts vector lengths). */
const MAX_FIELDS = 1024;
const MAX_METADATA = 64;

/**
 * Checks the bounds of an unknown schema message with the raw flatbuffer accessors, which read past
 * the end as zeros rather than throwing or allocating: a damaged length field handed straight to
 * apache-arrow's decoder made it allocate until the heap ran out (found by the fuzz test).
 */
function checkSchema(message: FbMessage): void {
  const schema = message.header(new FbSchema()) as FbSchema | null;
  if (!schema) throw new TypeError('Arrow payload schema message has no schema');
  const n = schema.fieldsLength();
  if (n > MAX_FIELDS) throw new RangeError(`Arrow payload schema has ${n} fields`);
  if (message.customMetadataLength() > MAX_METADATA || schema.customMetadataLength() > MAX_METADATA) throw new RangeError('Arrow payload schema has too much metadata');
  const field = new FbField();
  for (let i = 0; i < n; i++) {
    if (!schema.fields(i, field)) throw new RangeError('Arrow payload schema field out of bounds');
    // Log payloads are flat: no nested types.
    if (field.childrenLength() > 0) throw new TypeError('Arrow payload schema has nested fields');
    if (field.customMetadataLength() > MAX_METADATA) throw new RangeError('Arrow payload field has too much metadata');
  }
}

function schemaFields(payload: Uint8Array, messageEnd: number, message: FbMessage): Field[] {
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, messageEnd);
  if (schemaCache?.bytes.equals(bytes)) return schemaCache.fields;
  checkSchema(message);
  const reader = new MessageReader(payload.subarray(0, messageEnd));
  const message2 = reader.readMessage();
  if (!message2?.isSchema()) throw new TypeError('Arrow payload has no schema message first');
  const fields = message2.header().fields;
  schemaCache = { bytes: Buffer.from(bytes), fields };
  return fields;
}

/**
 * Walks the stream's messages (continuation marker, metadata length, Message flatbuffer, body) and
 * returns every record batch's columns with their dictionaries. Throws on anything malformed.
 */
export function readIpcStream(payload: Uint8Array): RawStream {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  let fields: Field[] | undefined;
  const dictionaries = new Map<number, RawColumn>();
  const batches: RawBatch[] = [];
  let pos = 0;
  while (pos + 4 <= payload.byteLength) {
    let metaLength = view.getInt32(pos, true);
    let metaStart = pos + 4;
    if (metaLength === -1) {
      if (pos + 8 > payload.byteLength) break;
      metaLength = view.getInt32(pos + 4, true);
      metaStart = pos + 8;
    }
    if (metaLength === 0) break; // end-of-stream marker
    const metaEnd = metaStart + metaLength;
    if (metaLength < 0 || metaEnd > payload.byteLength) throw new RangeError('Arrow payload message out of bounds');
    const message = FbMessage.getRootAsMessage(new flatbuffers.ByteBuffer(payload.subarray(metaStart, metaEnd)), MESSAGE);
    const bodyLength = Number(message.bodyLength());
    if (bodyLength < 0 || metaEnd + bodyLength > payload.byteLength) throw new RangeError('Arrow payload body out of bounds');
    const body = payload.subarray(metaEnd, metaEnd + bodyLength);
    const type = message.headerType();
    if (type === MessageHeader.Schema) {
      if (fields) throw new TypeError('Arrow payload has a second schema message');
      fields = schemaFields(payload.subarray(pos), metaEnd - pos, message);
    } else if (type === MessageHeader.DictionaryBatch || type === MessageHeader.RecordBatch) {
      if (!fields) throw new TypeError('Arrow payload has no schema message first');
      if (type === MessageHeader.DictionaryBatch) {
        const header = message.header(DICTIONARY_BATCH) as FbDictionaryBatch;
        const id = Number(header.id());
        const field = fields.find((f) => DataType.isDictionary(f.type) && Number(f.type.id) === id);
        if (!field) throw new RangeError(`Arrow payload has a dictionary ${id} no field uses`);
        if (header.isDelta()) throw new TypeError('delta dictionaries are not supported');
        const data = header.data(RECORD_BATCH);
        if (!data || data.compression()) throw new TypeError('compressed or empty Arrow dictionary batch');
        const [values] = readColumns(data, body, [(field.type as DataType & { dictionary: DataType }).dictionary], dictionaries);
        dictionaries.set(id, values!);
      } else {
        const header = message.header(RECORD_BATCH) as FbRecordBatch;
        if (header.compression()) throw new TypeError('compressed Arrow payloads are not supported');
        batches.push({ length: Number(header.length()), columns: readColumns(header, body, fields.map((f) => f.type as DataType), dictionaries) });
      }
    }
    pos = metaEnd + bodyLength;
  }
  if (!fields) throw new TypeError('Arrow payload has no schema');
  return { fields, batches };
}
