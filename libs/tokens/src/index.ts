export * from './caller';
export * from './token-format';
export * from './tokens.service';
export * from './tokens.module';
export * from './auth.decorators';
export { BearerGuard, KindGuard } from './auth.guards';
export * from './admission';
export * from './admission.service';
export { AdminTokenDto, CreateAdminTokenDto, CreatedAdminTokenDto } from './admin-token.dto';
