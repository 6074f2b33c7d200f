// Error codes (§7) and opcodes (§4): the tables here, checked against the doc's own tables when
// the doc is beside the package.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as p from '../src/index.js';
import { protocolDoc } from './helpers.js';

describe('error codes', () => {
  it('has every code of §7 with its value', () => {
    assert.equal(Object.keys(p.ErrorCode).length, 32);
    assert.equal(p.ErrorCode.MALFORMED_FRAME, 100);
    assert.equal(p.ErrorCode.AUTH_FAILED, 200);
    assert.equal(p.ErrorCode.INVALID_ARGUMENT, 307);
    assert.equal(p.ErrorCode.BACKUP_RUNNING, 405);
    assert.equal(p.ErrorCode.TOO_MANY_CONNECTIONS, 505);
    assert.equal(p.ErrorCode.STORAGE_FULL, 603);
  });

  it('names, categories and unknown codes', () => {
    assert.equal(p.errorCodeName(303), 'PRIORITY_OUT_OF_RANGE');
    assert.equal(p.errorCodeName(399), 'UNKNOWN_ERROR');
    assert.equal(p.isKnownErrorCode(399), false);
    assert.equal(p.errorCategory(399), 'validation');
    assert.equal(p.errorCategory(0), 'none');
    assert.equal(p.errorCategory(999), 'server');
    assert.equal(p.closesConnection(104), true);
    assert.equal(p.closesConnection(501), false);
  });

  it('ProtocolError carries code, code name, category and request id', () => {
    const err = new p.ProtocolError(p.ErrorCode.QUEUE_FULL, 'queue email is full', { requestId: 4 });
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'ProtocolError');
    assert.equal(err.code, 502);
    assert.equal(err.codeName, 'QUEUE_FULL');
    assert.equal(err.category, 'limit');
    assert.equal(err.message, 'queue email is full');
    assert.equal(err.requestId, 4);
  });

  it('matches the §7 table of docs/protocol.md', (t) => {
    const doc = protocolDoc();
    if (!doc) return t.skip('docs/protocol.md is not beside this package');
    const rows = [...doc.matchAll(/^\| (\d+) \| `([A-Z_]+)` \|\s*([a-z]*)\s*\|\s*(yes|no|)\s*\|/gm)];
    assert.equal(rows.length, Object.keys(p.ErrorCode).length);
    for (const [, code, name, category, closes] of rows) {
      assert.equal(p.ErrorCode[name as p.ErrorCodeName], Number(code), name);
      assert.equal(p.errorCategory(Number(code)), category === '' ? 'none' : category, name);
      assert.equal(p.closesConnection(Number(code)), closes === 'yes', name);
    }
  });
});

describe('opcodes', () => {
  it('replies are requests with the high bit set', () => {
    assert.equal(p.replyOf(p.Opcode.DISPATCH), p.Opcode.DISPATCH_RESULT);
    assert.equal(p.replyOf(p.Opcode.SCHEDULE_UPDATE), p.Opcode.SCHEDULE_UPDATE_RESULT);
    assert.throws(() => p.replyOf(p.Opcode.DELIVER), RangeError);
    for (const op of Object.values(p.Opcode)) {
      const kinds = [p.isRequestOpcode(op), p.isReplyOpcode(op), p.isPushOpcode(op)].filter(Boolean);
      assert.equal(kinds.length, 1, p.opcodeName(op));
      if (p.isRequestOpcode(op)) assert.ok(p.isReplyOpcode(p.replyOf(op)));
    }
    assert.equal(p.opcodeName(0x03), 'UNKNOWN(0x03)');
    assert.equal(p.isOpcode(0x03), false);
  });

  it('matches the §4 table of docs/protocol.md', (t) => {
    const doc = protocolDoc();
    if (!doc) return t.skip('docs/protocol.md is not beside this package');
    const rows = [...doc.matchAll(/^\| 0x([0-9A-F]{2}) \| `([A-Z_]+)` \| ([^|]+) \| ([^|]+) \|/gm)];
    assert.equal(rows.length, 26);
    const seen = new Set<string>();
    for (const [, value, name, , reply] of rows) {
      seen.add(name as string);
      assert.equal(p.Opcode[name as p.OpcodeName], Number.parseInt(value as string, 16), name);
      const m = /`([A-Z_]+)` 0x([0-9A-F]{2})/.exec(reply as string);
      if (m) {
        seen.add(m[1] as string);
        assert.equal(p.Opcode[m[1] as p.OpcodeName], Number.parseInt(m[2] as string, 16), m[1]);
        assert.equal(p.replyOf(p.Opcode[name as p.OpcodeName]), p.Opcode[m[1] as p.OpcodeName]);
      }
    }
    assert.deepEqual([...seen].sort(), Object.keys(p.Opcode).sort());
  });
});
