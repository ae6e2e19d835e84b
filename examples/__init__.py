"""dsscan.examples"""
