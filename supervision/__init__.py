"""MarketMap supervision package."""
