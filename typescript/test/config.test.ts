// resolveConnectionConfig: options first, then SYMPHONY_* variables, then defaults; every bad
// value is a ConfigError that names the setting and repeats the value.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, resolveConnectionConfig, type Env } from '../src/index.js';

function rejects(env: Env, setting: string, value: string, options = {}): ConfigError {
  let thrown: unknown;
  try {
    resolveConnectionConfig(options, env);
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown instanceof ConfigError, `expected a ConfigError for ${setting}=${value}, got ${String(thrown)}`);
  assert.equal(thrown.setting, setting);
  assert.ok(thrown.message.includes(setting), `message names ${setting}: ${thrown.message}`);
  assert.ok(thrown.message.includes(value), `message repeats ${JSON.stringify(value)}: ${thrown.message}`);
  return thrown;
}

describe('resolveConnectionConfig', () => {
  it('defaults to symphony://127.0.0.1:7400, no TLS, no token', () => {
    const c = resolveConnectionConfig({}, {});
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 7400);
    assert.equal(c.tls, false);
    assert.equal(c.token, '');
    assert.equal(c.enabled, false);
    assert.equal(c.defaultQueue, undefined);
    assert.equal(c.defaultPriority, undefined);
    assert.equal(c.workerBatchSize, 10);
    assert.equal(c.workerMaxConcurrency, 5);
    assert.equal(c.requestTimeoutMs, 30_000);
  });

  describe('SYMPHONY_URL', () => {
    it('symphony://host:port', () => {
      const c = resolveConnectionConfig({}, { SYMPHONY_URL: 'symphony://broker.internal:7500' });
      assert.deepEqual([c.host, c.port, c.tls], ['broker.internal', 7500, false]);
    });
    it('symphonys:// turns TLS on; the port defaults to 7400', () => {
      const c = resolveConnectionConfig({}, { SYMPHONY_URL: 'symphonys://broker.example' });
      assert.deepEqual([c.host, c.port, c.tls], ['broker.example', 7400, true]);
    });
    it('an IPv6 host in brackets', () => {
      const c = resolveConnectionConfig({}, { SYMPHONY_URL: 'symphony://[::1]:7401' });
      assert.deepEqual([c.host, c.port], ['::1', 7401]);
    });
    it('an empty variable counts as unset', () => {
      assert.equal(resolveConnectionConfig({}, { SYMPHONY_URL: '' }).port, 7400);
    });
    for (const bad of ['http://127.0.0.1:7400', '127.0.0.1:7400', 'symphony://h:0', 'symphony://h:70000', 'symphony://h:1/queue', 'symphony://:7400']) {
      it(`refuses ${bad}`, () => {
        rejects({ SYMPHONY_URL: bad }, 'SYMPHONY_URL', bad);
      });
    }
    it('refuses credentials in the URL without repeating them', () => {
      const err = rejects({ SYMPHONY_URL: 'symphony://user:s3cret@h:1' }, 'SYMPHONY_URL', '<redacted>');
      assert.ok(!err.message.includes('s3cret'));
    });
  });

  describe('options win over the environment', () => {
    const env = { SYMPHONY_URL: 'symphony://env-host:1111', SYMPHONY_TOKEN: 'env-token', SYMPHONY_DEFAULT_PRIORITY: '3' };
    it('url, host, port, token, priority', () => {
      const c = resolveConnectionConfig({ url: 'symphony://opt-host:2222', token: 'opt', defaultPriority: 9 }, env);
      assert.deepEqual([c.host, c.port, c.token, c.defaultPriority], ['opt-host', 2222, 'opt', 9]);
      const d = resolveConnectionConfig({ host: 'h2', port: 3333 }, env);
      assert.deepEqual([d.host, d.port, d.token, d.defaultPriority], ['h2', 3333, 'env-token', 3]);
    });
    it('tls: false over symphonys://, TLS options passed through', () => {
      assert.equal(resolveConnectionConfig({ tls: false }, { SYMPHONY_URL: 'symphonys://h' }).tls, false);
      const c = resolveConnectionConfig({ tls: { servername: 'b.example', rejectUnauthorized: false, ca: 'PEM' } }, {});
      assert.equal(c.tls, true);
      assert.deepEqual(c.tlsOptions, { servername: 'b.example', rejectUnauthorized: false, ca: 'PEM' });
    });
    it('a bad option is named as the option', () => {
      rejects({}, 'port', '70000', { port: 70000 });
      rejects({}, 'defaultPriority', '0', { defaultPriority: 0 });
      rejects({}, 'defaultQueue', 'a b', { defaultQueue: 'a b' });
      rejects({}, 'workerBatchSize', '1.5', { workerBatchSize: 1.5 });
    });
  });

  it('SYMPHONY_TOKEN', () => {
    assert.equal(resolveConnectionConfig({}, { SYMPHONY_TOKEN: 't0k' }).token, 't0k');
  });

  it('SYMPHONY_TLS_CA is read when TLS is on, and named when unreadable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'symphony-config-'));
    try {
      const ca = join(dir, 'ca.pem');
      writeFileSync(ca, 'PEM DATA');
      const c = resolveConnectionConfig({}, { SYMPHONY_URL: 'symphonys://h:1', SYMPHONY_TLS_CA: ca });
      assert.equal(String(c.tlsOptions.ca), 'PEM DATA');
      assert.equal(resolveConnectionConfig({}, { SYMPHONY_TLS_CA: ca }).tlsOptions.ca, undefined, 'plain: not read');
      rejects({ SYMPHONY_URL: 'symphonys://h:1', SYMPHONY_TLS_CA: join(dir, 'missing.pem') }, 'SYMPHONY_TLS_CA', 'missing.pem');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('SYMPHONY_ENABLED', () => {
    for (const [text, value] of [['true', true], ['TRUE', true], ['1', true], ['false', false], ['0', false]] as const) {
      it(`${text} -> ${value}`, () => assert.equal(resolveConnectionConfig({}, { SYMPHONY_ENABLED: text }).enabled, value));
    }
    for (const bad of ['yes', 'on', '2', ' true']) {
      it(`refuses ${JSON.stringify(bad)}`, () => rejects({ SYMPHONY_ENABLED: bad }, 'SYMPHONY_ENABLED', bad));
    }
  });

  describe('SYMPHONY_DEFAULT_QUEUE', () => {
    for (const ok of ['default', 'email.high', 'a:b_c-d', 'x'.repeat(255)]) {
      it(`accepts ${ok.slice(0, 20)}`, () => assert.equal(resolveConnectionConfig({}, { SYMPHONY_DEFAULT_QUEUE: ok }).defaultQueue, ok));
    }
    for (const bad of ['has space', 'slash/queue', 'é', 'x'.repeat(256)]) {
      it(`refuses ${bad.slice(0, 20)}`, () => rejects({ SYMPHONY_DEFAULT_QUEUE: bad }, 'SYMPHONY_DEFAULT_QUEUE', bad));
    }
  });

  describe('SYMPHONY_DEFAULT_PRIORITY', () => {
    it('1..10', () => {
      assert.equal(resolveConnectionConfig({}, { SYMPHONY_DEFAULT_PRIORITY: '1' }).defaultPriority, 1);
      assert.equal(resolveConnectionConfig({}, { SYMPHONY_DEFAULT_PRIORITY: '10' }).defaultPriority, 10);
    });
    for (const bad of ['0', '11', '-1', '5.5', 'high', '1e1', ' 5']) {
      it(`refuses ${JSON.stringify(bad)}`, () => rejects({ SYMPHONY_DEFAULT_PRIORITY: bad }, 'SYMPHONY_DEFAULT_PRIORITY', bad));
    }
  });

  for (const [name, field, max] of [
    ['SYMPHONY_WORKER_BATCH_SIZE', 'workerBatchSize', 100_000],
    ['SYMPHONY_WORKER_MAX_CONCURRENCY', 'workerMaxConcurrency', 1024],
  ] as const) {
    describe(name, () => {
      it('positive integers up to the C++ worker bound', () => {
        assert.equal(resolveConnectionConfig({}, { [name]: '1' })[field], 1);
        assert.equal(resolveConnectionConfig({}, { [name]: String(max) })[field], max);
      });
      for (const bad of ['0', '-3', '2.5', 'ten', String(max + 1), '0x10']) {
        it(`refuses ${JSON.stringify(bad)}`, () => rejects({ [name]: bad }, name, bad));
      }
    });
  }
});
