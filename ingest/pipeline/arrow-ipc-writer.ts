// Writes an Arrow IPC stream from column buffers the pool has already laid out: the schema message
// (encoded once per process), one dictionary batch per dictionary column, one record batch, and the
// end-of-stream marker. Each message's flatbuffer metadata is a template per shape with the numbers
// written in (see Template). Format: https://arrow.apache.org/docs/format/Columnar.html#ipc-streaming-format
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
 * A message's numbers in one fixed order: record length, body length, dictionary id (dictionary
 * batches only), then per column its node (length, null count), then per buffer its region (offset,
 * length) in the body, validity first. Also the body's length: the walk that places the buffers
 * measures it.
 */
function messageValues(length: number, columns: readonly ColumnBuffers[], dictionaryId: number | undefined): number[] {
  const nodes: number[] = [];
  const regions: number[] = [];
  let offset = 0;
  for (const c of columns) {
    nodes.push(c.length, c.nullCount);
    const validity = c.validity && c.nullCount > 0 ? c.validity.byteLength : 0;
    regions.push(offset, validity);
    offset += pad8(validity);
    for (const buf of c.buffers) {
      regions.push(offset, buf.byteLength);
      offset += pad8(buf.byteLength);
    }
  }
  return [length, offset, ...(dictionaryId === undefined ? [] : [dictionaryId]), ...nodes, ...regions];
}

/** The encapsulated Message flatbuffer holding `values` (in messageValues' order), built with flatbuffers' Builder. */
function buildMessage(values: readonly number[], columns: number, dictionary: boolean): Uint8Array {
  const b = new flatbuffers.Builder(512 + columns * 64);
  let at = dictionary ? 3 : 2;
  const nodeAt = at;
  at += columns * 2;
  const regions = (values.length - at) / 2;
  // Flatbuffer vectors of structs are written back to front.
  FbRecordBatch.startNodesVector(b, columns);
  for (let i = columns - 1; i >= 0; i--) FbFieldNode.createFieldNode(b, BigInt(values[nodeAt + 2 * i]!), BigInt(values[nodeAt + 2 * i + 1]!));
  const nodes = b.endVector();
  FbRecordBatch.startBuffersVector(b, regions);
  for (let i = regions - 1; i >= 0; i--) FbBuffer.createBuffer(b, BigInt(values[at + 2 * i]!), BigInt(values[at + 2 * i + 1]!));
  const buffers = b.endVector();
  FbRecordBatch.startRecordBatch(b);
  FbRecordBatch.addLength(b, BigInt(values[0]!));
  FbRecordBatch.addNodes(b, nodes);
  FbRecordBatch.addBuffers(b, buffers);
  let header = FbRecordBatch.endRecordBatch(b);
  if (dictionary) {
    FbDictionaryBatch.startDictionaryBatch(b);
    FbDictionaryBatch.addId(b, BigInt(values[2]!));
    FbDictionaryBatch.addData(b, header);
    FbDictionaryBatch.addIsDelta(b, false);
    header = FbDictionaryBatch.endDictionaryBatch(b);
  }
  const type = dictionary ? MessageHeader.DictionaryBatch : MessageHeader.RecordBatch;
  b.finish(FbMessage.createMessage(b, MetadataVersion.V5, type, header, BigInt(values[1]!), 0));
  return encapsulate(b.asUint8Array());
}

/**
 * A message shape's metadata bytes and where each of its numbers lives in them. Building the
 * flatbuffer for every message was 40 % of encoding a 50-event batch (one record batch and a
 * dictionary batch per dictionary column, each with its own Builder); the layout depends only on the
 * shape (columns, buffers per column, dictionary or not), so it is built once with distinct
 * placeholder numbers, and each message copies it and writes its own numbers into the slots.
 */
interface Template {
  readonly bytes: Uint8Array;
  /** Byte offset of each int64 in messageValues' order. */
  readonly slots: Int32Array;
}

const templates = new Map<string, Template>();
/** Placeholders: PLACEHOLDER + i for value i, 8-byte patterns that occur nowhere else in a template. */
const PLACEHOLDER = 0x5b3c_0000_0000;
const TWO_32 = 2 ** 32;

/** The template for messages over `columns` that carry `count` numbers (messageValues' length). */
function templateFor(columns: readonly ColumnBuffers[], dictionary: boolean, count: number): Template {
  let key = dictionary ? 'd' : 'r';
  for (const c of columns) key += `,${c.buffers.length}`;
  let t = templates.get(key);
  if (t) return t;
  const placeholders = Array.from({ length: count }, (_, i) => PLACEHOLDER + i);
  const bytes = buildMessage(placeholders, columns.length, dictionary);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const slots = new Int32Array(count).fill(-1);
  for (let at = 0; at + 8 <= bytes.byteLength; at++) {
    const hi = view.getUint32(at + 4, true);
    if (hi !== Math.floor(PLACEHOLDER / TWO_32)) continue;
    const i = view.getUint32(at, true) - (PLACEHOLDER % TWO_32);
    if (i < 0 || i >= count) continue;
    if (slots[i] !== -1) throw new Error(`Arrow message template: placeholder ${i} found twice`);
    slots[i] = at;
  }
  if (slots.includes(-1)) throw new Error('Arrow message template: a placeholder is missing');
  templates.set(key, (t = { bytes, slots }));
  return t;
}

/** Writes `template` at out[pos..] with `values` in its slots (non-negative integers below 2^53). */
function writeMessage(out: Uint8Array, view: DataView, pos: number, template: Template, values: readonly number[]): void {
  out.set(template.bytes, pos);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const at = pos + template.slots[i]!;
    view.setUint32(at, v % TWO_32, true);
    view.setUint32(at + 4, Math.floor(v / TWO_32), true);
  }
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
  template: Template;
  values: number[];
  columns: readonly ColumnBuffers[];
}

function part(length: number, columns: readonly ColumnBuffers[], dictionaryId?: number): Part {
  const values = messageValues(length, columns, dictionaryId);
  return { template: templateFor(columns, dictionaryId !== undefined, values.length), values, columns };
}

/**
 * The whole IPC stream: `schema` is the encapsulated schema message (see schemaMessage), then a
 * dictionary batch per entry of `dictionaries` (id, values column), then one record batch.
 */
export function writeStream(schema: Uint8Array, dictionaries: readonly (readonly [id: number, values: ColumnBuffers])[], length: number, columns: readonly ColumnBuffers[]): Uint8Array {
  const parts: Part[] = dictionaries.map(([id, values]) => part(values.length, [values], id));
  parts.push(part(length, columns));
  let total = schema.byteLength + 8;
  for (const p of parts) total += p.template.bytes.byteLength + p.values[1]!;
  const out = new Uint8Array(total); // zeroed: padding bytes are zeros
  const view = new DataView(out.buffer);
  out.set(schema, 0);
  let pos = schema.byteLength;
  for (const p of parts) {
    writeMessage(out, view, pos, p.template, p.values);
    pos += p.template.bytes.byteLength;
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
  view.setUint32(pos, CONTINUATION, true);
  return out;
}

/** The encapsulated schema message for `schema`, to encode once and pass to every writeStream. */
export function schemaMessage(schema: Schema): Uint8Array {
  return encapsulate(Message.encode(Message.from(schema)));
}
