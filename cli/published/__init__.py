"""The DSRS paper's published ``data/`` tree: reading and writing its files, and its
comparison tables."""
