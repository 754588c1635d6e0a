"""VCM: vendor and contract management.

Keeps every contract document received, once per distinct content, to extract its key terms and
track renewals and notice deadlines.
"""

SERVICE_NAME = "vcm"
