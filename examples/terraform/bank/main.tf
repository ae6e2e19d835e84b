# The parity estate in Terraform (the bank of examples/pulumi/bank). plan.json beside it is
# `terraform show -json` of this configuration's first plan, written by
# examples/terraform/build_plan.py (Terraform itself is not installed where dsscan is tested):
#
#   terraform init && terraform plan -out tfplan && terraform show -json tfplan > plan.json
#   dsscan scan terraform plan.json

provider "aws" {
  region              = "cn-north-1"
  allowed_account_ids = ["111111111111"]
}

locals {
  prod = { environment = "production" }
}

resource "aws_kms_key" "bank_data" {
  description         = "bank data"
  enable_key_rotation = true
  tags                = local.prod
}

resource "aws_kms_alias" "bank_data" {
  name          = "alias/bank-data"
  target_key_id = aws_kms_key.bank_data.key_id
}

# --- networks ---------------------------------------------------------------------------
resource "aws_vpc" "prod" {
  cidr_block = "10.0.0.0/16"
  tags       = { Name = "prod", "dsscan:level" = "important", environment = "production" }
}

resource "aws_vpc" "test" {
  cidr_block = "10.30.0.0/16"
  tags       = { Name = "test", "dsscan:level" = "sensitive", environment = "test" }
}

resource "aws_subnet" "prod_a" {
  vpc_id            = aws_vpc.prod.id
  cidr_block        = "10.0.1.0/24"
  availability_zone = "cn-north-1a"
  tags              = { Name = "prod-a", environment = "production" }
}

resource "aws_subnet" "prod_b" {
  vpc_id            = aws_vpc.prod.id
  cidr_block        = "10.0.2.0/24"
  availability_zone = "cn-north-1b"
  tags              = { Name = "prod-b", environment = "production" }
}

resource "aws_subnet" "test_a" {
  vpc_id            = aws_vpc.test.id
  cidr_block        = "10.30.1.0/24"
  availability_zone = "cn-north-1a"
  tags              = { Name = "test-a", environment = "test" }
}

resource "aws_internet_gateway" "prod" {
  vpc_id = aws_vpc.prod.id
  tags   = local.prod
}

resource "aws_vpc_peering_connection" "prod_test" {
  vpc_id      = aws_vpc.prod.id
  peer_vpc_id = aws_vpc.test.id
  auto_accept = true
  tags        = local.prod
}

resource "aws_route_table" "prod" {
  vpc_id = aws_vpc.prod.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.prod.id
  }
  route {
    cidr_block                = "10.30.0.0/16"
    vpc_peering_connection_id = aws_vpc_peering_connection.prod_test.id
  }
  tags = local.prod
}

resource "aws_route_table" "test" {
  vpc_id = aws_vpc.test.id
  route {
    cidr_block                = "10.0.0.0/16"
    vpc_peering_connection_id = aws_vpc_peering_connection.prod_test.id
  }
  tags = { environment = "test" }
}

resource "aws_route_table_association" "prod_a" {
  subnet_id      = aws_subnet.prod_a.id
  route_table_id = aws_route_table.prod.id
}

resource "aws_route_table_association" "prod_b" {
  subnet_id      = aws_subnet.prod_b.id
  route_table_id = aws_route_table.prod.id
}

resource "aws_route_table_association" "test_a" {
  subnet_id      = aws_subnet.test_a.id
  route_table_id = aws_route_table.test.id
}

resource "aws_security_group" "db" {
  name   = "db"
  vpc_id = aws_vpc.prod.id
  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/16", "10.30.0.0/16", "0.0.0.0/0"] # "temporary" vendor access
  }
  tags = local.prod
}

resource "aws_security_group" "cache" {
  name   = "cache"
  vpc_id = aws_vpc.prod.id
  ingress {
    from_port   = 6379
    to_port     = 6379
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/16"]
  }
  tags = local.prod
}

resource "aws_security_group" "test_db" {
  name   = "test-db"
  vpc_id = aws_vpc.test.id
  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["10.30.0.0/16"]
  }
  tags = { environment = "test" }
}

# --- S3 (bank-statements shown; loan-documents and marketing-site alike, SSE-S3, block off,
# --- a public-read policy) ------------------------------------------------------------------
resource "aws_s3_bucket" "bank_statements" {
  bucket = "bank-statements"
  tags   = { "dsscan:level" = "sensitive", environment = "production", backup = "daily" }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "bank_statements" {
  bucket = aws_s3_bucket.bank_statements.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.bank_data.arn
    }
  }
}

resource "aws_s3_bucket_public_access_block" "bank_statements" {
  bucket                  = aws_s3_bucket.bank_statements.id
  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "bank_statements" {
  bucket = aws_s3_bucket.bank_statements.id
  versioning_configuration { status = "Enabled" }
}

resource "aws_s3_bucket_policy" "bank_statements" {
  bucket = aws_s3_bucket.bank_statements.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid = "TlsOnly", Effect = "Deny", Principal = "*", Action = "s3:*",
      Resource  = ["arn:aws-cn:s3:::bank-statements", "arn:aws-cn:s3:::bank-statements/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}

# --- databases (core-ledger shown; customer-profile: important, no kms_key_id, 7 days;
# --- test-customer-db: sensitive, test, subnet group test-db, SG test-db, 1 day) -----------
resource "aws_db_subnet_group" "prod_db" {
  name       = "prod-db"
  subnet_ids = [aws_subnet.prod_a.id, aws_subnet.prod_b.id]
  tags       = local.prod
}

resource "aws_db_instance" "core_ledger" {
  identifier              = "core-ledger"
  engine                  = "postgres"
  engine_version          = "16.3"
  instance_class          = "db.t3.medium"
  allocated_storage       = 20
  username                = "bank"
  manage_master_user_password = true
  storage_encrypted       = true
  kms_key_id              = aws_kms_key.bank_data.arn
  backup_retention_period = 35
  db_subnet_group_name    = aws_db_subnet_group.prod_db.name
  vpc_security_group_ids  = [aws_security_group.db.id]
  publicly_accessible     = false
  tags                    = { "dsscan:level" = "core", environment = "production" }
}

resource "aws_dynamodb_table" "card_transactions" {
  name         = "card-transactions"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"
  attribute {
    name = "id"
    type = "S"
  }
  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.bank_data.arn
  }
  point_in_time_recovery { enabled = true }
  tags = { "dsscan:level" = "important", environment = "production" }
}

resource "aws_elasticache_subnet_group" "cache" {
  name       = "cache"
  subnet_ids = [aws_subnet.prod_a.id, aws_subnet.prod_b.id]
}

resource "aws_elasticache_replication_group" "session_cache" {
  replication_group_id       = "session-cache"
  description                = "sessions"
  engine                     = "redis"
  node_type                  = "cache.t3.micro"
  num_cache_clusters         = 1
  at_rest_encryption_enabled = false
  subnet_group_name          = aws_elasticache_subnet_group.cache.name
  security_group_ids         = [aws_security_group.cache.id]
  tags                       = { "dsscan:level" = "sensitive", environment = "production" }
}

# --- AWS Backup -------------------------------------------------------------------------
resource "aws_backup_vault" "prod_vault" {
  name        = "prod-vault"
  kms_key_arn = aws_kms_key.bank_data.arn
  tags        = { "dsscan:level" = "important", environment = "production" }
}

resource "aws_backup_plan" "daily" {
  name = "daily"
  rule {
    rule_name         = "daily"
    target_vault_name = aws_backup_vault.prod_vault.name
    schedule          = "cron(0 3 * * ? *)"
  }
}

resource "aws_backup_selection" "daily" {
  name         = "tagged-daily"
  plan_id      = aws_backup_plan.daily.id
  iam_role_arn = "arn:aws-cn:iam::111111111111:role/backup"
  selection_tag {
    type  = "STRINGEQUALS"
    key   = "backup"
    value = "daily"
  }
}
