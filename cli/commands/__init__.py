"""The ``dsrs`` commands, one module per command or command group, registered in
:mod:`dsrs_cli.main`. They import nothing heavy at import (each imports what it needs when
it runs)."""
