"""Event logs at scale: a store read as columns, raw payloads logged elsewhere, Parquet, and the
same analysis out of core (DuckDB) and on a cluster (Dask).
"""
