export { createApp, type CreateAppOptions } from './app';
export { MetricsServer } from './metrics';
