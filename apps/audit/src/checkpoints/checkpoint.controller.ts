import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe } from '@warden/platform';
import { Roles } from '@warden/security';
import { AUDIT_READER_ROLES } from '../core/audit-roles.constants';
import {
  consistencyQuery,
  eventIdParam,
  listCheckpointsQuery,
  proofQuery,
  type ConsistencyQuery,
  type ListCheckpointsQuery,
  type ProofQuery,
} from './checkpoint.dto';
import { CheckpointService, type CheckpointView } from './checkpoint.service';
import { ProofService, type ConsistencyProofView, type InclusionProofView } from './proof.service';

@ApiTags('audit: tamper evidence')
@Controller('v1/audit')
export class CheckpointController {
  constructor(
    private readonly checkpoints: CheckpointService,
    private readonly proofs: ProofService,
  ) {}

  @Get('checkpoints')
  @Roles(...AUDIT_READER_ROLES)
  @ApiOperation({ summary: 'Signed checkpoints of the Merkle tree (newest first), with the public key that signs them' })
  async list(
    @Query(new ZodValidationPipe(listCheckpointsQuery)) query: ListCheckpointsQuery,
  ): Promise<{ publicKey: string; keyId: string; items: CheckpointView[] }> {
    return {
      publicKey: this.checkpoints.signer.publicKeyBase64,
      keyId: this.checkpoints.signer.keyId,
      items: await this.checkpoints.list(query.limit, query.before ?? null),
    };
  }

  @Get('proofs/:eventId')
  @Roles(...AUDIT_READER_ROLES)
  @ApiOperation({ summary: 'Inclusion proof (RFC 6962) of an event in the tree of the latest checkpoint, or of ?treeSize' })
  inclusion(
    @Param('eventId', new ZodValidationPipe(eventIdParam)) eventId: string,
    @Query(new ZodValidationPipe(proofQuery)) query: ProofQuery,
  ): Promise<InclusionProofView> {
    return this.proofs.inclusion(eventId, query.treeSize);
  }

  @Get('consistency')
  @Roles(...AUDIT_READER_ROLES)
  @ApiOperation({ summary: 'Consistency proof (RFC 6962) that the tree of size `from` is a prefix of the tree of size `to`' })
  consistency(@Query(new ZodValidationPipe(consistencyQuery)) query: ConsistencyQuery): Promise<ConsistencyProofView> {
    return this.proofs.consistency(query.from, query.to);
  }
}
