import { All, Controller, Get, Inject, Param } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@rollcall/common';
import { ScimAuth } from '@rollcall/tokens';
import { resourceTypes, schemasDocuments, serviceProviderConfig } from './schema';
import { ScimControllerBase } from './scim-controller';
import { ScimPage } from './scim-list';
import { MAX_BULK_OPERATIONS } from './scim-limits';
import { ScimException } from './scim.exception';

/** RFC 7644 §4 discovery, truthful about what this server supports. */
@ScimControllerBase('discovery')
@ScimAuth()
@Controller('scim/v2')
export class ScimDiscoveryController {
  private readonly baseUrl: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.baseUrl = `${config.publicUrl}/scim/v2`;
  }

  @Get('ServiceProviderConfig')
  serviceProviderConfig() {
    return serviceProviderConfig(this.baseUrl, {
      maxResults: this.config.scimMaxResults,
      bulk: { maxOperations: MAX_BULK_OPERATIONS, maxPayloadSize: this.config.scimBulkMaxPayloadBytes },
      documentationUri: `${this.config.publicUrl}/docs`,
    });
  }

  @Get('ResourceTypes')
  resourceTypes() {
    const all = resourceTypes(this.baseUrl);
    return new ScimPage(all, all.length, 1);
  }

  @Get('ResourceTypes/:id')
  resourceType(@Param('id') id: string) {
    const found = resourceTypes(this.baseUrl).find((r) => r.id === id);
    if (!found) throw new ScimException(404, undefined, `Resource type ${id} not found`);
    return found;
  }

  @Get('Schemas')
  schemas() {
    const all = schemasDocuments(this.baseUrl);
    return new ScimPage(all, all.length, 1);
  }

  @Get('Schemas/:id')
  schema(@Param('id') id: string) {
    const found = schemasDocuments(this.baseUrl).find((s) => s.id === id);
    if (!found) throw new ScimException(404, undefined, `Schema ${id} not found`);
    return found;
  }

  @All('Me')
  me(): never {
    throw new ScimException(
      501,
      undefined,
      '/Me is not supported: a SCIM token stands for an integration, not a user',
    );
  }
}
