"""The two boundaries every file crosses: ``reader`` (the only way in for a file a stranger may have made, with
``classes``, the one table of what a config may name) and ``runfolder`` (the only way out: every output a command
writes)."""
