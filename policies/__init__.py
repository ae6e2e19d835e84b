"""dsscan.policies"""
