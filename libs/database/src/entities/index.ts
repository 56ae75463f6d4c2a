export * from './tenant.entity';
export * from './scim-integration.entity';
export * from './api-token.entity';
export * from './group.entity';
export * from './scim-user.entity';
export * from './group-member.entity';
export * from './scim-event.entity';
export * from './audit-event.entity';
export * from './portal-link.entity';
export * from './portal-session.entity';
import { ApiTokenEntity } from './api-token.entity';
import { AuditEventEntity } from './audit-event.entity';
import { GroupMemberEntity } from './group-member.entity';
import { GroupEntity } from './group.entity';
import { ScimIntegrationEntity } from './scim-integration.entity';
import { ScimUserEntity } from './scim-user.entity';
import { ScimEventEntity } from './scim-event.entity';
import { PortalLinkEntity } from './portal-link.entity';
import { PortalSessionEntity } from './portal-session.entity';
import { TenantEntity } from './tenant.entity';

export const ENTITIES = [
  TenantEntity,
  ScimIntegrationEntity,
  ApiTokenEntity,
  GroupEntity,
  ScimUserEntity,
  GroupMemberEntity,
  ScimEventEntity,
  AuditEventEntity,
  PortalLinkEntity,
  PortalSessionEntity,
];
