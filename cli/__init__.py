"""The ``dsrs`` command line (typer): :mod:`dsrs_cli.main` registers every command.

=========================  =======================================================================
``main``                   the ``dsrs`` app and its global options; every command registered
``connection``             the global options' client and how its errors are shown
``id_prefixes``            ids on the command line (a unique prefix is enough)
``job_progress``           watching jobs until they are final
``recertification``        a finished job's certificates again from its stored counts
``checkpoint_conversion``  an original checkpoint to safetensors + architecture
``help_text``              help texts from docstrings
``terminal_text``          untrusted text made safe to print
``commands/``              one module per command or command group
``options/``               job, budget and sweep-file options; request bodies from flat names
``tables/``                result, certified-accuracy and comparison tables
``plots/``                 figures of comparisons and sweeps
``export/``                a job's results in other formats (CSV, JSONL, Cohen's TSV, DSRS tree)
``published/``             the DSRS paper's published ``data/`` tree and its comparison
``reproduce/``             ``dsrs reproduce``: plan, run, comparison and tables
=========================  =======================================================================
"""
