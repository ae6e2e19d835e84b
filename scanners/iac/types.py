"""pulumi-aws type tokens -> Terraform AWS resource types, for the types dsscan maps.

pulumi-aws is generated from the Terraform provider: the same resources, the same properties
in camelCase. Its tokens do not always spell the Terraform name (``aws:rds/instance:Instance``
is ``aws_db_instance``), so the ones dsscan reads are listed here. Pulumi renames a few
repeated blocks to plurals (``rule`` -> ``rules``); the mapping reads both spellings.
"""

from __future__ import annotations

PULUMI_TO_TERRAFORM: dict[str, str] = {
    # S3: the bucket and its split configuration resources
    "aws:s3/bucket:Bucket": "aws_s3_bucket",
    "aws:s3/bucketV2:BucketV2": "aws_s3_bucket",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        "aws_s3_bucket_server_side_encryption_configuration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2":
        "aws_s3_bucket_server_side_encryption_configuration",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "aws_s3_bucket_public_access_block",
    "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock":
        "aws_s3_account_public_access_block",
    "aws:s3/bucketPolicy:BucketPolicy": "aws_s3_bucket_policy",
    "aws:s3/bucketVersioning:BucketVersioning": "aws_s3_bucket_versioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2": "aws_s3_bucket_versioning",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig":
        "aws_s3_bucket_replication_configuration",
    "aws:s3/bucketLogging:BucketLogging": "aws_s3_bucket_logging",
    "aws:s3/bucketLoggingV2:BucketLoggingV2": "aws_s3_bucket_logging",
    "aws:s3/bucketAcl:BucketAcl": "aws_s3_bucket_acl",
    "aws:s3/bucketAclV2:BucketAclV2": "aws_s3_bucket_acl",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration":
        "aws_s3_bucket_object_lock_configuration",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2":
        "aws_s3_bucket_object_lock_configuration",
    "aws:s3/accessPoint:AccessPoint": "aws_s3_access_point",
    "aws:s3control/accessPointPolicy:AccessPointPolicy": "aws_s3control_access_point_policy",
    # RDS
    "aws:rds/instance:Instance": "aws_db_instance",
    "aws:rds/cluster:Cluster": "aws_rds_cluster",
    "aws:rds/clusterInstance:ClusterInstance": "aws_rds_cluster_instance",
    "aws:rds/subnetGroup:SubnetGroup": "aws_db_subnet_group",
    "aws:rds/snapshot:Snapshot": "aws_db_snapshot",
    "aws:rds/clusterSnapshot:ClusterSnapshot": "aws_db_cluster_snapshot",
    # DynamoDB, EBS, Redshift, EFS, ElastiCache
    "aws:dynamodb/table:Table": "aws_dynamodb_table",
    "aws:dynamodb/resourcePolicy:ResourcePolicy": "aws_dynamodb_resource_policy",
    "aws:dynamodb/tableReplica:TableReplica": "aws_dynamodb_table_replica",
    "aws:ebs/volume:Volume": "aws_ebs_volume",
    "aws:ebs/snapshot:Snapshot": "aws_ebs_snapshot",
    "aws:redshift/cluster:Cluster": "aws_redshift_cluster",
    "aws:redshift/subnetGroup:SubnetGroup": "aws_redshift_subnet_group",
    "aws:efs/fileSystem:FileSystem": "aws_efs_file_system",
    "aws:efs/mountTarget:MountTarget": "aws_efs_mount_target",
    "aws:efs/backupPolicy:BackupPolicy": "aws_efs_backup_policy",
    "aws:elasticache/replicationGroup:ReplicationGroup": "aws_elasticache_replication_group",
    "aws:elasticache/subnetGroup:SubnetGroup": "aws_elasticache_subnet_group",
    # Neptune, DocumentDB, OpenSearch/Elasticsearch, single-node ElastiCache
    "aws:neptune/cluster:Cluster": "aws_neptune_cluster",
    "aws:neptune/clusterInstance:ClusterInstance": "aws_neptune_cluster_instance",
    "aws:neptune/subnetGroup:SubnetGroup": "aws_neptune_subnet_group",
    "aws:docdb/cluster:Cluster": "aws_docdb_cluster",
    "aws:docdb/clusterInstance:ClusterInstance": "aws_docdb_cluster_instance",
    "aws:docdb/subnetGroup:SubnetGroup": "aws_docdb_subnet_group",
    "aws:opensearch/domain:Domain": "aws_opensearch_domain",
    "aws:opensearch/domainPolicy:DomainPolicy": "aws_opensearch_domain_policy",
    "aws:elasticsearch/domain:Domain": "aws_elasticsearch_domain",
    "aws:elasticsearch/domainPolicy:DomainPolicy": "aws_elasticsearch_domain_policy",
    "aws:elasticache/cluster:Cluster": "aws_elasticache_cluster",
    # EC2 volumes: standalone, an instance's, a launch template's; the account's defaults
    "aws:ec2/instance:Instance": "aws_instance",
    "aws:ec2/launchTemplate:LaunchTemplate": "aws_launch_template",
    "aws:ec2/launchConfiguration:LaunchConfiguration": "aws_launch_configuration",
    "aws:ebs/encryptionByDefault:EncryptionByDefault": "aws_ebs_encryption_by_default",
    "aws:ebs/defaultKmsKey:DefaultKmsKey": "aws_ebs_default_kms_key",
    "aws:ram/resourceShare:ResourceShare": "aws_ram_resource_share",
    "aws:ram/resourceAssociation:ResourceAssociation": "aws_ram_resource_association",
    "aws:ram/principalAssociation:PrincipalAssociation": "aws_ram_principal_association",
    "aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission":
        "aws_ebs_snapshot_create_volume_permission",
    # AMIs and their launch permissions (DS-SHR-001/002, DS-TST-004, DS-BAK-003)
    "aws:ec2/ami:Ami": "aws_ami",
    "aws:ec2/amiFromInstance:AmiFromInstance": "aws_ami_from_instance",
    "aws:ec2/amiCopy:AmiCopy": "aws_ami_copy",
    "aws:ec2/amiLaunchPermission:AmiLaunchPermission": "aws_ami_launch_permission",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration":
        "aws_s3_bucket_lifecycle_configuration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2":
        "aws_s3_bucket_lifecycle_configuration",
    # AWS Backup
    "aws:backup/vault:Vault": "aws_backup_vault",
    "aws:backup/vaultPolicy:VaultPolicy": "aws_backup_vault_policy",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration":
        "aws_backup_vault_lock_configuration",
    "aws:backup/plan:Plan": "aws_backup_plan",
    "aws:backup/selection:Selection": "aws_backup_selection",
    # DMS (DS-TST-004)
    "aws:dms/replicationTask:ReplicationTask": "aws_dms_replication_task",
    "aws:dms/endpoint:Endpoint": "aws_dms_endpoint",
    "aws:dms/s3Endpoint:S3Endpoint": "aws_dms_s3_endpoint",
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": "aws_backup_restore_testing_plan",
    "aws:backup/restoreTestingSelection:RestoreTestingSelection":
        "aws_backup_restore_testing_selection",
    # Operation logs (Art. 43); the RDS parameter groups are listed above (DS-TRN-001)
    "aws:cloudtrail/trail:Trail": "aws_cloudtrail",
    "aws:cloudtrail/eventDataStore:EventDataStore": "aws_cloudtrail_event_data_store",
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:rds/optionGroup:OptionGroup": "aws_db_option_group",
    "aws:redshift/logging:Logging": "aws_redshift_logging",
    # IAM (DS-IAM-001)
    "aws:iam/role:Role": "aws_iam_role",
    "aws:iam/user:User": "aws_iam_user",
    "aws:iam/group:Group": "aws_iam_group",
    "aws:iam/policy:Policy": "aws_iam_policy",
    "aws:iam/rolePolicy:RolePolicy": "aws_iam_role_policy",
    "aws:iam/userPolicy:UserPolicy": "aws_iam_user_policy",
    "aws:iam/groupPolicy:GroupPolicy": "aws_iam_group_policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "aws_iam_role_policy_attachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": "aws_iam_user_policy_attachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": "aws_iam_group_policy_attachment",
    "aws:iam/policyAttachment:PolicyAttachment": "aws_iam_policy_attachment",
    # KMS
    "aws:kms/key:Key": "aws_kms_key",
    "aws:kms/replicaKey:ReplicaKey": "aws_kms_replica_key",
    "aws:kms/externalKey:ExternalKey": "aws_kms_external_key",
    "aws:kms/replicaExternalKey:ReplicaExternalKey": "aws_kms_replica_external_key",
    "aws:kms/alias:Alias": "aws_kms_alias",
    "aws:kms/keyPolicy:KeyPolicy": "aws_kms_key_policy",
    "aws:kms/grant:Grant": "aws_kms_grant",
    # Networks
    "aws:ec2/vpc:Vpc": "aws_vpc",
    "aws:ec2/subnet:Subnet": "aws_subnet",
    "aws:ec2/securityGroup:SecurityGroup": "aws_security_group",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "aws_security_group_rule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        "aws_vpc_security_group_ingress_rule",
    "aws:ec2/routeTable:RouteTable": "aws_route_table",
    "aws:ec2/defaultRouteTable:DefaultRouteTable": "aws_default_route_table",
    "aws:ec2/route:Route": "aws_route",
    "aws:ec2/internetGateway:InternetGateway": "aws_internet_gateway",
    "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment":
        "aws_internet_gateway_attachment",
    "aws:ec2/natGateway:NatGateway": "aws_nat_gateway",
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": "aws_vpc_peering_connection",
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter":
        "aws_vpc_peering_connection_accepter",
    "aws:ec2/managedPrefixList:ManagedPrefixList": "aws_ec2_managed_prefix_list",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
    # DS-TRN-001: what makes a store refuse plaintext
    "aws:rds/parameterGroup:ParameterGroup": "aws_db_parameter_group",
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": "aws_rds_cluster_parameter_group",
    "aws:redshift/parameterGroup:ParameterGroup": "aws_redshift_parameter_group",
    "aws:efs/fileSystemPolicy:FileSystemPolicy": "aws_efs_file_system_policy",
}


def terraform_type(pulumi_type: str) -> str | None:
    """The Terraform type of a pulumi-aws token, or None when dsscan does not map it."""
    return PULUMI_TO_TERRAFORM.get(pulumi_type)
