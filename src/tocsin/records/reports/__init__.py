"""Statistics as tables (CSV, Parquet) and charts (PNG, SVG) that a reader understands."""
