"""MarketMap gridding package."""
