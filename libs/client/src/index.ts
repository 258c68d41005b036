export { X0Client, type X0ClientOptions, type ServiceHealth } from './x0-client';
export { createServiceClients, serviceAddresses, GRPC_SERVICE_NAMES, type ServiceClients, type Rpc } from './service-clients';
export { publishMetrics, type PublishMetricsOptions } from './metrics-publisher';
export { aliasMoved, eventFeed, storedMessages, formatEvent, toRecord, summarize, verdictText, type EventFeedOptions, type EventRecord } from './event-feed';
export { isRpcError, rpcErrorMessage } from './rpc-error';
export { nextComponentHealth } from './component-health';
export { deadLetterFeed, formatDeadLetter, type DeadLetterFeedOptions, type DeadLetterRecord } from './dead-letters';
