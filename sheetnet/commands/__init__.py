"""Subcommands of `sheetnet`.  Every module here defines
``register(subparsers)``; the CLI discovers them, so a new command is a new
module and nothing else changes."""
