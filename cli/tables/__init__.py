"""What the command line prints as tables: job results, certified accuracy and ACR
computed on the client, and paper-style comparisons."""
