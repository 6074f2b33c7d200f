// The streaming frame decoder: pure and socket-free. Feed it chunks as they arrive, cut anywhere;
// it hands back whole frames. The header is checked as soon as its 12 bytes are in (length over
// the limit, unknown opcode, reserved bits), so a bad stream is a typed error at once, never a
// wait for a body that will not come and never a buffer of the declared length.
import { Buffer } from 'node:buffer';
import { ErrorCode, ProtocolError } from './error-codes.js';
import {
  DEFAULT_MAX_FRAME_BYTES,
  FRAME_HEADER_BYTES,
  HARD_MAX_FRAME_BYTES,
  isOpcode,
  opcodeName,
  type Frame,
  type Opcode,
} from './frame.js';

export interface FrameHeader {
  bodyLength: number;
  opcode: Opcode;
  flags: number;
  requestId: number;
}

/**
 * Parses and checks a 12-byte frame header. Throws ProtocolError: FRAME_TOO_LARGE for a body
 * length over `maxBodyBytes`, UNKNOWN_OPCODE, or MALFORMED_FRAME for reserved bits set (checked
 * in that order, as the broker does). The error carries the header's request id.
 */
export function parseFrameHeader(header: Uint8Array, maxBodyBytes: number): FrameHeader {
  if (header.length < FRAME_HEADER_BYTES) {
    throw new ProtocolError(ErrorCode.MALFORMED_FRAME, `a frame header is ${FRAME_HEADER_BYTES} bytes`);
  }
  const b = Buffer.from(header.buffer, header.byteOffset, FRAME_HEADER_BYTES);
  const bodyLength = b.readUInt32LE(0);
  const opcode = b.readUInt8(4);
  const flags = b.readUInt8(5);
  const reserved = b.readUInt16LE(6);
  const requestId = b.readUInt32LE(8);
  if (bodyLength > maxBodyBytes) {
    throw new ProtocolError(
      ErrorCode.FRAME_TOO_LARGE,
      `frame body of ${bodyLength} bytes exceeds the limit of ${maxBodyBytes}`,
      { requestId },
    );
  }
  if (!isOpcode(opcode)) {
    throw new ProtocolError(ErrorCode.UNKNOWN_OPCODE, `unknown opcode ${opcodeName(opcode)}`, { requestId });
  }
  if (reserved !== 0) {
    throw new ProtocolError(ErrorCode.MALFORMED_FRAME, 'reserved header bits are set', { requestId });
  }
  return { bodyLength, opcode, flags, requestId };
}

export interface FrameDecoderOptions {
  /** Largest body accepted; capped at HARD_MAX_FRAME_BYTES. Default: 16 MiB. Set it from
   *  WELCOME's max_frame_bytes with setMaxBodyBytes(). */
  maxBodyBytes?: number;
}

/**
 * Usage: `for (const frame of decoder.feed(chunk)) handle(frame)`.
 *
 * Chunks are kept by reference (not copied): do not modify a chunk after feeding it. A frame
 * that lies inside one chunk has a body that is a view of it; a frame spread over several chunks
 * is copied once, when it is complete. A ProtocolError is sticky: once the stream is broken,
 * every later next() throws the same error (nothing after it can be trusted, §3).
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private head = 0; // index of the first unread chunk
  private offset = 0; // bytes of chunks[head] already read
  private buffered = 0;
  private header: FrameHeader | undefined; // parsed header of the frame being received
  private failure: ProtocolError | undefined;
  private maxBody: number;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxBody = FrameDecoder.checkLimit(options.maxBodyBytes ?? DEFAULT_MAX_FRAME_BYTES);
  }

  private static checkLimit(n: number): number {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`maxBodyBytes must be a non-negative integer, got ${n}`);
    return Math.min(n, HARD_MAX_FRAME_BYTES);
  }

  get maxBodyBytes(): number {
    return this.maxBody;
  }

  /** Changes the limit (e.g. to WELCOME's max_frame_bytes); it applies from the next header. */
  setMaxBodyBytes(n: number): void {
    this.maxBody = FrameDecoder.checkLimit(n);
  }

  /** Bytes received and not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** The error that broke the stream, if any. */
  get error(): ProtocolError | undefined {
    return this.failure;
  }

  /** Appends received bytes (ignored once the stream is broken). */
  push(chunk: Uint8Array): void {
    if (this.failure || chunk.length === 0) return;
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.buffered += chunk.length;
  }

  /** The next complete frame, or undefined until more bytes arrive. Throws ProtocolError. */
  next(): Frame | undefined {
    if (this.failure) throw this.failure;
    let h = this.header;
    if (!h) {
      if (this.buffered < FRAME_HEADER_BYTES) return undefined;
      try {
        h = parseFrameHeader(this.peek(FRAME_HEADER_BYTES), this.maxBody);
      } catch (err) {
        return this.fail(err as ProtocolError);
      }
      this.header = h;
    }
    if (this.buffered < FRAME_HEADER_BYTES + h.bodyLength) return undefined;
    this.skip(FRAME_HEADER_BYTES);
    const body = this.take(h.bodyLength);
    this.header = undefined;
    return { opcode: h.opcode, flags: h.flags, requestId: h.requestId, body };
  }

  /** Every complete frame buffered now. Lazy: frames not iterated stay buffered. */
  *drain(): Generator<Frame, void, undefined> {
    for (let f = this.next(); f; f = this.next()) yield f;
  }

  /** push(chunk), then drain(). */
  feed(chunk: Uint8Array): Generator<Frame, void, undefined> {
    this.push(chunk);
    return this.drain();
  }

  private fail(err: ProtocolError): never {
    this.failure = err;
    this.chunks = [];
    this.head = 0;
    this.offset = 0;
    this.buffered = 0;
    throw err;
  }

  /** The first n buffered bytes without consuming them (n <= buffered). */
  private peek(n: number): Buffer {
    const first = this.chunks[this.head] as Buffer;
    if (first.length - this.offset >= n) return first.subarray(this.offset, this.offset + n);
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    for (let i = this.head, off = this.offset; filled < n; i++, off = 0) {
      const c = this.chunks[i] as Buffer;
      filled += c.copy(out, filled, off, Math.min(c.length, off + n - filled));
    }
    return out;
  }

  private skip(n: number): void {
    this.consume(n, undefined);
  }

  /** Consumes n buffered bytes: a view when they lie in one chunk, else one copy. */
  private take(n: number): Buffer {
    const first = this.chunks[this.head];
    if (n === 0) return Buffer.alloc(0);
    if (first && first.length - this.offset >= n) {
      const view = first.subarray(this.offset, this.offset + n);
      this.consume(n, undefined);
      return view;
    }
    const out = Buffer.allocUnsafe(n);
    this.consume(n, out);
    return out;
  }

  private consume(n: number, into: Buffer | undefined): void {
    let done = 0;
    while (done < n) {
      const c = this.chunks[this.head] as Buffer;
      const step = Math.min(c.length - this.offset, n - done);
      if (into) c.copy(into, done, this.offset, this.offset + step);
      done += step;
      this.offset += step;
      if (this.offset === c.length) {
        this.head++;
        this.offset = 0;
      }
    }
    this.buffered -= n;
    // drop consumed chunk references now and then, so the array does not grow without bound
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}
