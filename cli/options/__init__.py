"""Command-line options and sweep files: the job and budget options, the parsers typer
cannot type by itself, and job request bodies built from their flat names."""
