"""Faces of the workspace served to other programs: the MCP server and the web dashboard.

Each module imports its server library (``mcp``, ``textual-serve``) at its top, so only the
command that serves imports it (the CLI loads these modules when the command runs)."""
