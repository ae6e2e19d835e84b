"""dsscan.cli"""
