"""Spend anomaly detection: the streaming detector (numpy) and anomaly episodes built from its flags."""
