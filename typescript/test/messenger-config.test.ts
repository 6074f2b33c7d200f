// The Messenger's configuration (defaults from the environment, transports, routing, retry) and
// the migration guide's feature flags.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, FeatureFlags, MessengerSettings, RetryPolicy, flagVariable, isEnabled } from '../src/index.js';

describe('feature flags', () => {
  it('a feature is on only when SYMPHONY_ENABLED and its own flag are both true', () => {
    const on = (env: Record<string, string>): boolean => isEnabled('EMAIL_QUEUE', env);
    assert.equal(on({}), false);
    assert.equal(on({ SYMPHONY_EMAIL_QUEUE_ENABLED: 'true' }), false, 'master switch unset');
    assert.equal(on({ SYMPHONY_ENABLED: 'false', SYMPHONY_EMAIL_QUEUE_ENABLED: 'true' }), false, 'rollback');
    assert.equal(on({ SYMPHONY_ENABLED: 'true' }), false, 'feature unset');
    assert.equal(on({ SYMPHONY_ENABLED: 'true', SYMPHONY_EMAIL_QUEUE_ENABLED: 'false' }), false);
    assert.equal(on({ SYMPHONY_ENABLED: 'true', SYMPHONY_EMAIL_QUEUE_ENABLED: 'true' }), true);
    assert.equal(on({ SYMPHONY_ENABLED: '1', SYMPHONY_EMAIL_QUEUE_ENABLED: 'TRUE' }), true);
    assert.equal(on({ SYMPHONY_ENABLED: '', SYMPHONY_EMAIL_QUEUE_ENABLED: 'true' }), false, 'empty counts as unset');
  });

  it('a value that is not a boolean is a ConfigError naming the variable', () => {
    assert.throws(() => isEnabled('EMAIL_QUEUE', { SYMPHONY_ENABLED: 'true', SYMPHONY_EMAIL_QUEUE_ENABLED: 'yes' }), (e: unknown) => e instanceof ConfigError && e.setting === 'SYMPHONY_EMAIL_QUEUE_ENABLED');
    assert.throws(() => isEnabled('EMAIL_QUEUE', { SYMPHONY_ENABLED: 'on' }), (e: unknown) => e instanceof ConfigError && e.setting === 'SYMPHONY_ENABLED');
  });

  it('feature names map to the guide variables', () => {
    assert.equal(flagVariable('EMAIL_QUEUE'), 'SYMPHONY_EMAIL_QUEUE_ENABLED');
    assert.equal(flagVariable('emailQueue'), 'SYMPHONY_EMAIL_QUEUE_ENABLED');
    assert.equal(flagVariable('campaign-processing'), 'SYMPHONY_CAMPAIGN_PROCESSING_ENABLED');
    assert.equal(flagVariable('SYMPHONY_SMS_DRIP_ENABLED'), 'SYMPHONY_SMS_DRIP_ENABLED');
    assert.throws(() => flagVariable('--'), ConfigError);
    const flags = new FeatureFlags({ SYMPHONY_ENABLED: 'true', SYMPHONY_SMS_DRIP_ENABLED: '1' });
    assert.equal(flags.symphonyEnabled, true);
    assert.equal(flags.isEnabled('SMS_DRIP'), true);
    assert.equal(flags.isEnabled('CAMPAIGN_PROCESSING'), false);
  });
});

describe('MessengerSettings', () => {
  it('reads SYMPHONY_DEFAULT_QUEUE / _PRIORITY / _ENABLED; explicit values win; bad ones name the variable', () => {
    const s = new MessengerSettings({}, { SYMPHONY_DEFAULT_QUEUE: 'jobs', SYMPHONY_DEFAULT_PRIORITY: '7', SYMPHONY_ENABLED: 'true' }).get();
    assert.deepEqual([s.defaultQueue, s.defaultPriority, s.enabled], ['jobs', 7, true]);
    assert.equal(new MessengerSettings({ defaultPriority: 2 }, { SYMPHONY_DEFAULT_PRIORITY: '7' }).get().defaultPriority, 2);
    assert.throws(() => new MessengerSettings({}, { SYMPHONY_DEFAULT_PRIORITY: '11' }), (e: unknown) => e instanceof ConfigError && e.setting === 'SYMPHONY_DEFAULT_PRIORITY');
    assert.doesNotThrow(() => new MessengerSettings({}, { SYMPHONY_URL: 'nonsense' }), 'SYMPHONY_URL is not judged here');
    assert.throws(() => new MessengerSettings({ transports: { email: { priority: 0 } } }, {}), (e: unknown) => e instanceof ConfigError && e.setting === 'transports.email.priority');
    assert.throws(() => new MessengerSettings({ transports: { email: { queue: 'bad queue' } } }, {}), (e: unknown) => e instanceof ConfigError && e.setting === 'transports.email.queue');
    assert.throws(() => new MessengerSettings({ routing: { A: [] } }, {}), (e: unknown) => e instanceof ConfigError && e.setting === 'routing.A');
  });

  it('targets: queue, then transport, then routing, then the default transport, then the default queue, then the broker', () => {
    const s = new MessengerSettings(
      { transports: { email: { queue: 'email-q', priority: 7 }, audit: {} }, routing: { EmailMessage: 'email', Fan: ['email', 'audit', 'raw-queue'] }, defaultPriority: 4 },
      {},
    );
    assert.deepEqual(s.targets('X'), [{ transport: undefined, queue: '', priority: 4 }]);
    assert.deepEqual(s.targets('EmailMessage'), [{ transport: 'email', queue: 'email-q', priority: 7 }]);
    assert.deepEqual(s.targets('EmailMessage', { priority: 9 }), [{ transport: 'email', queue: 'email-q', priority: 9 }]);
    assert.deepEqual(s.targets('EmailMessage', { queue: 'other' }), [{ transport: undefined, queue: 'other', priority: 4 }]);
    assert.deepEqual(s.targets('EmailMessage', { queue: 'hp', transport: 'email' }), [{ transport: 'email', queue: 'hp', priority: 7 }], "the seeds' transport + queue");
    assert.deepEqual(s.targets('X', { transport: 'somewhere' }), [{ transport: 'somewhere', queue: 'somewhere', priority: 4 }], 'a transport without an entry is a queue');
    assert.deepEqual(s.targets('Fan').map((t) => t.queue), ['email-q', 'audit', 'raw-queue']);
    s.setDefaultQueue('fallback');
    assert.deepEqual(s.targets('X'), [{ transport: undefined, queue: 'fallback', priority: 4 }]);
    s.setDefaultTransport('audit');
    assert.deepEqual(s.targets('X'), [{ transport: 'audit', queue: 'audit', priority: 4 }]);
  });

  it("the seeds' config shape: transports.default as a name, getTransportsForMessageType, runtime changes, reset", () => {
    const s = new MessengerSettings({ transports: { default: 'supabase', supabase: { type: 'supabase', queue: 'default', priority: 5 } }, routing: { EmailMessage: ['email'] } }, {});
    assert.equal(s.get().defaultTransport, 'supabase');
    assert.deepEqual(s.transportsFor('EmailMessage'), ['email']);
    assert.deepEqual(s.transportsFor('Other'), ['supabase']);
    assert.deepEqual(s.targets('Other'), [{ transport: 'supabase', queue: 'default', priority: 5 }]);
    s.setDefaultPriority(7).setTransport('redis', { type: 'redis', queue: 'default', priority: 5 }).setRouting('SMSMessage', 'redis');
    assert.equal(s.get().defaultPriority, 7);
    assert.deepEqual(s.transportsFor('SMSMessage'), ['redis']);
    s.update({ routing: { CampaignMessage: ['async', 'email'] } });
    assert.deepEqual(s.transportsFor('CampaignMessage'), ['async', 'email']);
    assert.deepEqual(s.transportsFor('EmailMessage'), ['email'], 'maps merge by key');
    s.reset();
    assert.equal(s.get().defaultPriority, undefined);
    assert.deepEqual(s.transportsFor('SMSMessage'), ['supabase']);
  });

  it('retry: defaults, SYMPHONY_RETRY_*, config default, per type inheriting the rest', () => {
    assert.deepEqual(new MessengerSettings({}, {}).retryFor('X').config, { maxRetries: 3, delay: 1000, multiplier: 2, maxDelay: 30000 });
    const env = { SYMPHONY_RETRY_MAX_RETRIES: '5', SYMPHONY_RETRY_DELAY: '2000', SYMPHONY_RETRY_MULTIPLIER: '1.5', SYMPHONY_RETRY_MAX_DELAY: '60000' };
    assert.deepEqual(new MessengerSettings({}, env).retryFor('X').config, { maxRetries: 5, delay: 2000, multiplier: 1.5, maxDelay: 60000 });
    const s = new MessengerSettings({ retry: { default: { maxRetries: 1 }, EmailMessage: { delay: 10 } } }, env);
    assert.deepEqual(s.retryFor('X').config, { maxRetries: 1, delay: 2000, multiplier: 1.5, maxDelay: 60000 });
    assert.deepEqual(s.retryFor('EmailMessage').config, { maxRetries: 1, delay: 10, multiplier: 1.5, maxDelay: 60000 });
    assert.throws(() => new MessengerSettings({}, { SYMPHONY_RETRY_DELAY: '-5' }), (e: unknown) => e instanceof ConfigError && e.setting === 'SYMPHONY_RETRY_DELAY');
    assert.throws(() => new MessengerSettings({ retry: { X: { multiplier: 0.5 } } }, {}), (e: unknown) => e instanceof ConfigError && e.setting === 'retry.X.multiplier');
  });

  it('RetryPolicy: min(delay × multiplier^(n−1), maxDelay); attempt maxRetries + 1 is final', () => {
    const p = new RetryPolicy({ maxRetries: 4, delay: 100, multiplier: 3, maxDelay: 1000 });
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => p.delayFor(n)), [100, 300, 900, 1000, 1000]);
    assert.deepEqual([1, 4, 5].map((n) => p.retries(n)), [true, true, false]);
  });
});
