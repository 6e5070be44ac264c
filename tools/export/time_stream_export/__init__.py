"""Time Stream model exporter."""
