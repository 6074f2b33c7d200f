// The seeds' Messenger API: dispatching, handlers, the worker, typed messages, SyncTransport,
// feature flags and operations. Ids are decimal strings (see types.ts).
export type { BatchDispatchResult, DispatchedEnvelope, DispatchOptions, DispatchOutcome, Message, MessageEnvelope, MessageId, MessageMetadata } from './types.js';
export { MessageValidationError, ValidationError, type ValidationIssue } from './errors.js';
export { HandlerError, NoHandlerError, classifyError, type ErrorClassification, type HandlerErrorOptions } from './handler-error.js';
export type { HandlerContext, HandlerEnvelope } from './handler-context.js';
export type { HandlerFunction, HandlerLike, MessageHandler } from './handler.js';
export { MiddlewareChain, type Middleware } from './middleware.js';
export {
  defaultIsFatal,
  errorHandlingMiddleware,
  loggingMiddleware,
  type ErrorHandlingMiddlewareOptions,
  type LoggingMiddlewareOptions,
} from './standard-middleware.js';
export { HandlerRegistry } from './handler-registry.js';
export { consoleLogger, silentLogger, type Logger } from './logger.js';
export { DEFAULT_RETRY, RetryPolicy, type RetryConfig } from './retry-policy.js';
export {
  MessengerSettings,
  type DispatcherConfig,
  type ResolvedConfig,
  type Target,
  type TransportConfig,
  type WorkerConfig,
} from './settings.js';
export type { SendRequest, Transport } from './transport.js';
export { BrokerTransport, type DispatchClient } from './broker-transport.js';
export { SyncTransport, type SyncDeadLetter, type SyncTransportOptions } from './sync-transport.js';
export { Messenger, Messenger as SymphonyDispatcher, type MessengerConfig } from './messenger.js';
export type {
  FailedListOptions,
  FailedMessage,
  FailedMessageDetail,
  FailedPage,
  HealthStatus,
  MetricsReport,
  QueueDepth,
  QueueStatus,
  SystemStatus,
  WindowFigures,
} from './figures.js';
export type { MessageStatusInfo, MetricsOptions } from './operations.js';
export { FailedMessages, type FailedActionResult, type IdList } from './failed-messages.js';
export {
  configure,
  dispatch,
  dispatchBatch,
  dispatchToTransports,
  failed,
  getConfig,
  getDispatcher,
  getMessenger,
  getRuntimeConfigManager,
  getTransportsForMessageType,
  health,
  messageStatus,
  metrics,
  resetConfig,
  resetMessenger,
  setConfig,
  setDispatcher,
  status,
} from './default-messenger.js';
export { FeatureFlags, flagVariable, isEnabled, isSymphonyEnabled } from './feature-flags.js';
export {
  defineMessage,
  type MessageDefinition,
  type PayloadSchema,
  type TypedHandler,
  type TypedHandlerFunction,
  type TypedMessage,
} from './typed-message.js';
export { Worker, type WorkerClient, type WorkerOptions, type WorkerStats } from './worker.js';
export type { WorkerEvent, WorkerEventOf, WorkerEventType } from './worker-events.js';
