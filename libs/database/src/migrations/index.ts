import type { MigrationInterface } from 'typeorm';
import { InitialSchema1795929467838 } from './1795929467838-initial-schema';
import { ScimEvents1795929975940 } from './1795929975940-scim-events';
import { ScimEventCount1796188800000 } from './1796188800000-scim-event-count';
import { ScimUserResourceBytes1796275200000 } from './1796275200000-scim-user-resource-bytes';
import { TenantCompositeKeys1796400000000 } from './1796400000000-tenant-composite-keys';
import { AuditLog1796486400000 } from './1796486400000-audit-log';
import { ScimEventChanges1796572800000 } from './1796572800000-scim-event-changes';
import { PortalSessions1796659200000 } from './1796659200000-portal-sessions';
import { PortalRetention1796745600000 } from './1796745600000-portal-retention';
import { ScimEventIndexes1796832000000 } from './1796832000000-scim-event-indexes';

/** Every migration, oldest first. A committed migration is never edited: add a new one. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [
  InitialSchema1795929467838,
  ScimEvents1795929975940,
  ScimEventCount1796188800000,
  ScimUserResourceBytes1796275200000,
  TenantCompositeKeys1796400000000,
  AuditLog1796486400000,
  ScimEventChanges1796572800000,
  PortalSessions1796659200000,
  PortalRetention1796745600000,
  ScimEventIndexes1796832000000,
];
