"""Churn risk: per-client monthly signals, a health score until enough churn outcomes exist, then a
calibrated logistic model trained on CPI's own history, retrained on clock ticks (see docs/churn.md).
"""
