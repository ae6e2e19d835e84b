"""The dsscan CrossGuard pack. Settings through the environment: DSSCAN_CONFIG,
DSSCAN_CATALOGUE, DSSCAN_POLICY_DIRS, DSSCAN_ENFORCEMENT (advisory | mandatory)."""

from dsscan.pulumi_pack import serve

serve()
