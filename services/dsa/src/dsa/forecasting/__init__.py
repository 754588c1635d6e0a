"""Spend forecasts with intervals (statsforecast), the method chosen by backtest."""
