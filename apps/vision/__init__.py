"""Image recognition with every zoo family."""
