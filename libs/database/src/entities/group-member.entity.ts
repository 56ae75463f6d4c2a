import { CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { GroupEntity } from './group.entity';
import { ScimUserEntity } from './scim-user.entity';

/** Membership of a user in a group; a batch of members is added or removed in one statement. */
@Entity('group_members')
@Index('IDX_group_members_user', ['tenantId', 'userId'])
export class GroupMemberEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' }) tenantId!: string;
  @PrimaryColumn({ name: 'group_id', type: 'uuid' }) groupId!: string;
  @PrimaryColumn({ name: 'user_id', type: 'uuid' }) userId!: string;
  @ManyToOne(() => GroupEntity, { onDelete: 'CASCADE' })
  @JoinColumn([
    { name: 'tenant_id', referencedColumnName: 'tenantId' },
    { name: 'group_id', referencedColumnName: 'id' },
  ])
  group?: GroupEntity;
  @ManyToOne(() => ScimUserEntity, { onDelete: 'CASCADE' })
  @JoinColumn([
    { name: 'tenant_id', referencedColumnName: 'tenantId' },
    { name: 'user_id', referencedColumnName: 'id' },
  ])
  user?: ScimUserEntity;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
