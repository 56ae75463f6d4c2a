export * from './audit.module';
export * from './audit.service';
export * from './audit-event';
export {
  AuditActorDto,
  AuditEventDto,
  AuditLogPageDto,
  AuditLogQuery,
  AuditTargetDto,
} from './audit-event.dto';
