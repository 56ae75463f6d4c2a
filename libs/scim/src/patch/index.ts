export * from './apply-patch';
export * from './value-filter';
