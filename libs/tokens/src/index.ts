export * from './caller';
export * from './token-format';
export * from './tokens.service';
export * from './tokens.module';
export * from './auth.decorators';
export { BearerGuard, KindGuard } from './auth.guards';
export * from './admission';
export * from './admission.service';
export { AdminTokenDto, CreateAdminTokenDto, CreatedAdminTokenDto } from './admin-token.dto';
export { PORTAL_COOKIE, CSRF_HEADER, csrfTokenFor, portalSecretOf, setPortalCookie } from './portal-cookie';
export { usePortalStartForm } from './portal-start.controller';
export {
  PORTAL_RETENTION_GRACE_MS,
  PortalRetentionService,
  type PortalSweep,
} from './portal-retention.service';
export { CreatePortalLinkDto, PortalLinkDto, PortalSessionDto, PortalSessionInfoDto } from './portal.dto';
