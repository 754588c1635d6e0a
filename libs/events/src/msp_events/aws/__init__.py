"""Adapters to AWS services: the EventBridge bridge, the S3 data lake and IAM policies.

Each is selected by settings and off by default; all of them work on the same transport ports as
the runtime, so they are tested offline (in-process log, moto, botocore's Stubber).
"""
