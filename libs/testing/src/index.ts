export * from './test-app';
export * from './factories';
export * from './expectations';
export * from './tenancy-rules';
