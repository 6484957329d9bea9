"""A job's results written in other formats: rows (CSV, JSONL), Cohen et al.'s TSV and
the original DSRS ``data/`` tree."""
