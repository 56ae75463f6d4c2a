import { INestApplication, Module } from '@nestjs/common';

/** The SCIM 2.0 protocol under /scim/v2. */
@Module({})
export class ScimModule {
  /** Express-level set-up the SCIM API needs before routing (content types, unknown query flags). */
  static configure(_app: INestApplication): void {}
}
