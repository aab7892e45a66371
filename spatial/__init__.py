"""MarketMap spatial package."""
