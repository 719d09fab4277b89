import { Controller, Get, Param, Req, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@warden/security';
import { scimBaseUrl } from './scim.dto';
import { ScimError } from './scim.exception';
import { ScimAuthGuard, type ScimRequest } from './scim-auth.guard';
import { listOf, resourceTypes, schemaDocuments, serviceProviderConfig } from './scim-discovery';
import { ScimExceptionFilter } from './scim-exception.filter';

/** RFC 7644 §4 discovery, behind the SCIM token like every other SCIM endpoint. */
@ApiExcludeController()
@Controller('scim/v2')
@Public()
@UseGuards(ScimAuthGuard)
@UseFilters(ScimExceptionFilter)
export class ScimDiscoveryController {
  @Get('ServiceProviderConfig')
  serviceProviderConfig(@Req() req: ScimRequest) {
    return serviceProviderConfig(scimBaseUrl(req));
  }

  @Get('ResourceTypes')
  resourceTypes(@Req() req: ScimRequest) {
    return listOf(resourceTypes(scimBaseUrl(req)));
  }

  @Get('ResourceTypes/:id')
  resourceType(@Param('id') id: string, @Req() req: ScimRequest) {
    const found = resourceTypes(scimBaseUrl(req)).find((type) => type.id === id);
    if (!found) throw ScimError.notFound(`ResourceType ${id} not found`);
    return found;
  }

  @Get('Schemas')
  schemas(@Req() req: ScimRequest) {
    return listOf(schemaDocuments(scimBaseUrl(req)));
  }

  @Get('Schemas/:id')
  schema(@Param('id') id: string, @Req() req: ScimRequest) {
    const found = schemaDocuments(scimBaseUrl(req)).find((s) => s.id === id);
    if (!found) throw ScimError.notFound(`Schema ${id} not found`);
    return found;
  }
}
