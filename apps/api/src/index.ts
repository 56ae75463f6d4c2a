export { createApp, type CreateAppOptions } from './app';
