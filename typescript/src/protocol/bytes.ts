// Little-endian primitives of docs/protocol.md §1: u8, u16, u32, u64, i64, str16 (u16 length +
// UTF-8), blob32 (u32 length + bytes). The reader is bounds-checked and throws ProtocolError
// (MALFORMED_FRAME) before it reads past the end; the writer throws RangeError for a value the
// wire cannot carry (a caller's bug, not a broken stream).
import { Buffer } from 'node:buffer';
import { malformed } from './error-codes.js';

const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;
const U64_MAX = (1n << 64n) - 1n;

/** Bytes for a blob32 field: a string is written as its UTF-8 encoding. */
export type BytesLike = Uint8Array | string;

function toBytes(value: BytesLike): Uint8Array {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

function checkUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${what} must be an integer in 0..${max}, got ${String(value)}`);
  }
}

/** A growable little-endian writer. finish() returns the written bytes (a view, no copy). */
export class ByteWriter {
  private buf: Buffer;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.len;
  }

  private reserve(n: number): number {
    const at = this.len;
    if (at + n > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < at + n) cap *= 2;
      const grown = Buffer.allocUnsafe(cap);
      this.buf.copy(grown, 0, 0, at);
      this.buf = grown;
    }
    this.len = at + n;
    return at;
  }

  u8(value: number): this {
    checkUint(value, 0xff, 'u8');
    const at = this.reserve(1); // reserve first: it may replace this.buf
    this.buf[at] = value;
    return this;
  }

  u16(value: number): this {
    checkUint(value, U16_MAX, 'u16');
    const at = this.reserve(2);
    this.buf.writeUInt16LE(value, at);
    return this;
  }

  u32(value: number): this {
    checkUint(value, U32_MAX, 'u32');
    const at = this.reserve(4);
    this.buf.writeUInt32LE(value, at);
    return this;
  }

  /** u64; a number is accepted when it is a safe non-negative integer. */
  u64(value: bigint | number): this {
    const v = typeof value === 'number' ? safeToBigInt(value, 'u64') : value;
    if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) {
      throw new RangeError(`u64 must be in 0..2^64-1, got ${String(value)}`);
    }
    const at = this.reserve(8);
    this.buf.writeBigUInt64LE(v, at);
    return this;
  }

  /** i64 milliseconds (a time or a duration): a safe integer, see readI64Ms. */
  i64(value: number): this {
    const v = safeToBigInt(value, 'i64');
    const at = this.reserve(8);
    this.buf.writeBigInt64LE(v, at);
    return this;
  }

  /** str16: u16 byte length, then the UTF-8 bytes (no NUL). */
  str16(value: string | Uint8Array): this {
    const bytes = toBytes(value);
    if (bytes.length > U16_MAX) {
      throw new RangeError(`str16 holds at most ${U16_MAX} bytes, got ${bytes.length}`);
    }
    this.u16(bytes.length);
    return this.raw(bytes);
  }

  /** blob32: u32 byte length, then the bytes. */
  blob32(value: BytesLike): this {
    const bytes = toBytes(value);
    this.u32(bytes.length);
    return this.raw(bytes);
  }

  raw(bytes: Uint8Array): this {
    const at = this.reserve(bytes.length);
    this.buf.set(bytes, at);
    return this;
  }

  /** Overwrites a u32 already written at `offset` (a length patched once the body is known). */
  patchU32(offset: number, value: number): void {
    checkUint(value, U32_MAX, 'u32');
    if (offset < 0 || offset + 4 > this.len) throw new RangeError('patchU32 outside the written bytes');
    this.buf.writeUInt32LE(value, offset);
  }

  /** The bytes written so far. A view of the writer's storage: stop writing after this. */
  finish(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

function safeToBigInt(value: number, what: string): bigint {
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`${what} must be a safe integer, got ${String(value)}`);
  }
  return BigInt(value);
}

/**
 * A bounds-checked little-endian reader over one frame body. Every read checks the bytes that
 * are left first, so a declared length never makes it read past the end or allocate: it throws
 * ProtocolError(MALFORMED_FRAME) naming `context` (the frame being decoded).
 */
export class ByteReader {
  private readonly buf: Buffer;
  private pos = 0;

  constructor(
    bytes: Uint8Array,
    private readonly context: string,
  ) {
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get position(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private take(n: number, what: string): number {
    if (n > this.buf.length - this.pos) {
      throw malformed(
        `${this.context}: body ends inside ${what} (needs ${n} bytes at offset ${this.pos}, ` +
          `${this.buf.length - this.pos} left)`,
      );
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.buf[this.take(1, 'a u8')] as number;
  }

  u16(): number {
    return this.buf.readUInt16LE(this.take(2, 'a u16'));
  }

  u32(): number {
    return this.buf.readUInt32LE(this.take(4, 'a u32'));
  }

  u64(): bigint {
    return this.buf.readBigUInt64LE(this.take(8, 'a u64'));
  }

  i64(): bigint {
    return this.buf.readBigInt64LE(this.take(8, 'an i64'));
  }

  /**
   * An i64 of milliseconds as a number. Any real time or duration fits in ±2^53 (JavaScript
   * dates stop at ±8.64e15), so a value outside the safe integer range is a broken body.
   */
  i64Ms(): number {
    const v = this.i64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw malformed(`${this.context}: a millisecond value (${v}) is outside the safe integer range`);
    }
    return Number(v);
  }

  /** u8 read as a flag: any non-zero value is true (as the C++ decoder reads it). */
  bool(): boolean {
    return this.u8() !== 0;
  }

  /** A str16 decoded as UTF-8 (invalid sequences become U+FFFD, as TextDecoder does). */
  str16(): string {
    const n = this.u16();
    const at = this.take(n, 'a str16');
    return this.buf.toString('utf8', at, at + n);
  }

  /** A blob32's bytes: a view into the body (shares memory with the frame). */
  blob32(): Buffer {
    const n = this.u32();
    const at = this.take(n, 'a blob32');
    return this.buf.subarray(at, at + n);
  }

  /** A blob32 decoded as UTF-8 text. */
  blob32Text(): string {
    const n = this.u32();
    const at = this.take(n, 'a blob32');
    return this.buf.toString('utf8', at, at + n);
  }

  /**
   * Reads a count (u32, or u16 with `width` 2) and checks that `count` items of at least
   * `minItemBytes` each can fit in what is left, before the caller loops or allocates.
   */
  count(minItemBytes: number, width: 2 | 4 = 4): number {
    const n = width === 2 ? this.u16() : this.u32();
    if (n * minItemBytes > this.remaining) {
      throw malformed(`${this.context}: count ${n} does not fit in the ${this.remaining} bytes left`);
    }
    return n;
  }

  /** Throws unless every byte was read: a body must match its layout exactly. */
  end(): void {
    if (this.pos !== this.buf.length) {
      throw malformed(`${this.context}: ${this.buf.length - this.pos} trailing bytes after the layout`);
    }
  }
}

/** Reads a whole body with `read` and checks that nothing is left over. */
export function decodeBody<T>(body: Uint8Array, context: string, read: (r: ByteReader) => T): T {
  const r = new ByteReader(body, context);
  const value = read(r);
  r.end();
  return value;
}

/** Throws MALFORMED_FRAME with `message` when `condition` holds (an enum byte out of range). */
export function malformedIf(condition: boolean, message: string): void {
  if (condition) throw malformed(message);
}
