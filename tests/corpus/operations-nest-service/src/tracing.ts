import { NodeSDK } from '@opentelemetry/sdk-node'; // expect: observability.tracing

export const sdk = new NodeSDK({ serviceName: 'billing' });
sdk.start();
