// The process's default Messenger, created on first use from the environment (SYMPHONY_URL,
// SYMPHONY_TOKEN, SYMPHONY_DEFAULT_QUEUE, ...), and the seeds' module-level functions on it:
// dispatch(), dispatchBatch(), dispatchToTransports(), the operations, and the seeds' config and
// dispatcher names (setConfig, getDispatcher...).
//
// Kept on globalThis: a dev server that re-evaluates modules (Next.js) would otherwise leave one
// open connection behind per reload.
import type { ResolvedConfig } from './settings.js';
import type { DispatcherConfig, MessengerSettings } from './settings.js';
import { Messenger, type MessengerConfig } from './messenger.js';
import type { FailedActionResult, IdList } from './failed-messages.js';
import type { FailedListOptions, FailedMessageDetail, FailedPage, HealthStatus, MetricsReport, SystemStatus } from './figures.js';
import type { MessageStatusInfo, MetricsOptions } from './operations.js';
import type { BatchDispatchResult, DispatchOptions, DispatchOutcome, Message } from './types.js';

const KEY = Symbol.for('symphony-messenger.defaultMessenger');
type Holder = { [KEY]?: Messenger };
const holder = globalThis as Holder;

/** The default Messenger, created on first use from the environment. */
export function getMessenger(): Messenger {
  holder[KEY] ??= new Messenger();
  return holder[KEY];
}

/** Replaces the default Messenger with one made from `config` (the previous one is closed once
 *  what it dispatched is confirmed). */
export function configure(config: MessengerConfig = {}): Messenger {
  const next = new Messenger(config);
  const previous = holder[KEY];
  holder[KEY] = next;
  if (previous) void previous.close().catch(() => undefined);
  return next;
}

/** Closes and forgets the default Messenger (tests, graceful shutdown); the next use makes a new
 *  one from the environment. */
export async function resetMessenger(): Promise<void> {
  const previous = holder[KEY];
  delete holder[KEY];
  if (previous) await previous.close();
}

// ---- dispatching ----

export function dispatch(message: Message, options?: DispatchOptions): Promise<DispatchOutcome> {
  return getMessenger().dispatch(message, options);
}

export function dispatchBatch(messages: readonly Message[], options?: DispatchOptions): Promise<BatchDispatchResult[]> {
  return getMessenger().dispatchBatch(messages, options);
}

export function dispatchToTransports(message: Message, transports: readonly string[], options?: DispatchOptions): Promise<BatchDispatchResult[]> {
  return getMessenger().dispatchToTransports(message, transports, options);
}

// ---- the seeds' names ----

/** The seeds' getDispatcher(): the default Messenger. */
export const getDispatcher = getMessenger;
/** The seeds' setDispatcher(): makes `messenger` the default. */
export function setDispatcher(messenger: Messenger): void {
  const previous = holder[KEY];
  holder[KEY] = messenger;
  if (previous && previous !== messenger) void previous.close().catch(() => undefined);
}

/** The default Messenger's settings: setDefaultPriority(), setTransport()... */
export function getRuntimeConfigManager(): MessengerSettings {
  return getMessenger().settings;
}

export function getConfig(): ResolvedConfig {
  return getMessenger().settings.get();
}

export function setConfig(config: DispatcherConfig): void {
  getMessenger().settings.update(config);
}

export function resetConfig(): void {
  getMessenger().settings.reset();
}

export function getTransportsForMessageType(type: string): string[] {
  return getMessenger().settings.transportsFor(type);
}

// ---- operations ----

export function health(): Promise<HealthStatus> {
  return getMessenger().health();
}

export function status(): Promise<SystemStatus> {
  return getMessenger().status();
}

export function metrics(options?: MetricsOptions): Promise<MetricsReport> {
  return getMessenger().metrics(options);
}

export function messageStatus(id: string | bigint): Promise<MessageStatusInfo | null> {
  return getMessenger().messageStatus(id);
}

/** The default Messenger's dead letters. */
export const failed = {
  list: (options?: FailedListOptions): Promise<FailedPage> => getMessenger().failed.list(options),
  get: (id: string | bigint): Promise<FailedMessageDetail | null> => getMessenger().failed.get(id),
  retry: (ids: IdList, options?: { dryRun?: boolean }): Promise<FailedActionResult> => getMessenger().failed.retry(ids, options),
  delete: (ids: IdList): Promise<FailedActionResult> => getMessenger().failed.delete(ids),
};
