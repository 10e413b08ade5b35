"""Publisher postbacks: our calls to publishers' URLs when their conversions change."""
