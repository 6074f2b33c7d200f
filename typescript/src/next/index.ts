// symphony-messenger/next: the seeds' monitoring endpoints as Next.js App Router route handlers
// (web-standard Request/Response; Next.js itself is not a dependency), and the process-wide
// client they and the application's server code share. Node.js runtime only (the client speaks
// TCP): not for the Edge runtime.
export {
  DEFAULT_BASE_PATH,
  RouteError,
  createSymphonyRoutes,
  type Authorize,
  type RouteContext,
  type RouteHandler,
  type RouteParams,
  type SymphonyRoutes,
  type SymphonyRoutesClient,
  type SymphonyRoutesOptions,
} from './routes.js';
export { bearerToken, hasBearerSecret, secretsEqual } from './auth.js';
export { closeSymphonyClient, getSymphonyClient } from './shared-client.js';
export type {
  FailedDetailView,
  FailedListView,
  FailedMessageView,
  HealthView,
  MetricsView,
  ProcessingTimePercentiles,
  QueueDepth,
  QueueDepthEntry,
  QueueDepthView,
  QueueStatus,
  RetryView,
  StatusView,
  WindowFigures,
} from './views.js';
