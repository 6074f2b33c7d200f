// The primitives: little-endian layout, length prefixes, and the writer refusing values the wire
// cannot carry (RangeError: a caller's bug, not a broken stream).
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import * as p from '../src/index.js';
import { assertProtocolError } from './helpers.js';

describe('ByteWriter / ByteReader', () => {
  it('writes little-endian integers and length-prefixed strings', () => {
    const w = new p.ByteWriter(1); // grows as needed
    w.u8(0xab).u16(0x0102).u32(0x03040506).u64(0x0708090a0b0c0d0en).i64(-2).str16('hé').blob32(Buffer.from([9]));
    assert.equal(
      w.finish().toString('hex'),
      'ab' + '0201' + '06050403' + '0e0d0c0b0a090807' + 'feffffffffffffff' + '0300' + '68c3a9' + '01000000' + '09',
    );
  });

  it('reads back what it wrote', () => {
    const w = new p.ByteWriter();
    w.u8(255).u16(65535).u32(0xffffffff).u64((1n << 64n) - 1n).i64(Number.MIN_SAFE_INTEGER).str16('').blob32('{}');
    const r = new p.ByteReader(w.finish(), 'test');
    assert.equal(r.u8(), 255);
    assert.equal(r.u16(), 65535);
    assert.equal(r.u32(), 0xffffffff);
    assert.equal(r.u64(), (1n << 64n) - 1n);
    assert.equal(r.i64Ms(), Number.MIN_SAFE_INTEGER);
    assert.equal(r.str16(), '');
    assert.equal(r.blob32Text(), '{}');
    assert.equal(r.remaining, 0);
    r.end();
  });

  it('refuses values the wire cannot carry', () => {
    const w = new p.ByteWriter();
    assert.throws(() => w.u8(256), RangeError);
    assert.throws(() => w.u8(-1), RangeError);
    assert.throws(() => w.u16(1.5), RangeError);
    assert.throws(() => w.u32(2 ** 32), RangeError);
    assert.throws(() => w.u64(1n << 64n), RangeError);
    assert.throws(() => w.u64(-1n), RangeError);
    assert.throws(() => w.i64(2 ** 53), RangeError);
    assert.throws(() => w.str16('x'.repeat(0x10000)), RangeError);
    assert.throws(() => p.encodeDispatch(1, [{ type: 'T', payload: '{}', priority: 256 }]), RangeError);
    assert.throws(() => p.encodeSubscribe(1, { queues: new Array<string>(0x10000).fill('q') }), RangeError);
    assert.equal(w.length, 0, 'a refused value writes nothing');
  });

  it('a u64 accepts a safe non-negative number too', () => {
    assert.equal(new p.ByteWriter().u64(7).finish().toString('hex'), '0700000000000000');
  });

  it('a millisecond value outside the safe range is a malformed body', () => {
    const big = new p.ByteWriter().u64(1n << 60n).finish();
    assertProtocolError(() => new p.ByteReader(big, 'test').i64Ms(), 'MALFORMED_FRAME');
    assertProtocolError(() => p.decodePong(Buffer.concat([Buffer.alloc(8), big])), 'MALFORMED_FRAME');
  });

  it('a count that cannot fit is refused before any loop', () => {
    // DISPATCH_RESULT claiming 2^32-1 results in a 4-byte body
    assertProtocolError(() => p.decodeDispatchResult(Buffer.from([0xff, 0xff, 0xff, 0xff])), 'MALFORMED_FRAME');
    // a blob32 declaring 4 GiB
    assertProtocolError(() => p.decodeHealthResult(Buffer.from([0xff, 0xff, 0xff, 0xff, 0])), 'MALFORMED_FRAME');
  });

  it('enum bytes out of range are malformed', () => {
    const bad = (frame: Buffer, at: number, value: number) => {
      const body = Buffer.from(frame.subarray(p.FRAME_HEADER_BYTES));
      body[at] = value;
      return body;
    };
    const result = p.encodeDispatchResult(1, [
      { index: 0, code: 0, messageId: 1n, queue: '', duplicate: false, status: 0, errorMessage: '' },
    ]);
    assertProtocolError(() => p.decodeDispatchResult(bad(result, 4 + 4 + 2 + 8 + 2 + 1, 4)), 'MALFORMED_FRAME');
    const nack = p.encodeNack(1, [{ messageId: 1n, mode: p.NackMode.RETRY, error: '', errorClass: '' }]);
    assertProtocolError(() => p.decodeNack(bad(nack, 4 + 8, 3)), 'MALFORMED_FRAME');
    assertProtocolError(() => p.decodeScheduleUpdate(bad(p.encodeScheduleUpdate(1, 1n, 0), 8, 3)), 'MALFORMED_FRAME');
    assertProtocolError(() => p.decodeFailedDelete(Buffer.from([2])), 'MALFORMED_FRAME');
  });

  it('invalid UTF-8 decodes with replacement characters, not an exception', () => {
    assert.equal(p.decodeQueueStats(Buffer.from([2, 0, 0xff, 0x41])), '\ufffdA');
  });

  it('the document-result and action-result encoders refuse other opcodes', () => {
    assert.throws(() => p.encodeDocumentResult(p.Opcode.PONG as p.DocumentResultOpcode, 1, ''), RangeError);
    assert.throws(
      () => p.encodeDeadLetterActionResult(p.Opcode.ACK_RESULT as p.DeadLetterActionResultOpcode, 1, { messageIds: [], failures: [] }),
      RangeError,
    );
    assert.throws(() => p.encodeScheduleResult(p.Opcode.SCHEDULE_LIST_RESULT as p.ScheduleResultOpcode, 1, {} as never), RangeError);
  });

  it('encodeError cuts an over-long message instead of failing', () => {
    const f = p.encodeError(1, 602, 'x'.repeat(70_000));
    assert.equal(p.decodeError(f.subarray(p.FRAME_HEADER_BYTES)).message.length, 0xffff);
  });
});
