export * from './tenancy.module';
export * from './tenants.service';
