import { Module } from '@nestjs/common';
import { AuditService } from './audit.service';

/** The tenant audit log; the libs that change settings import it and record through AuditService. */
@Module({
  providers: [AuditService],
  exports: [AuditService],
})
export class AuditModule {}
