"""`frontdesk doctor`: checks of an installation, each with what to do when it fails.

One module per group of checks: files (the database, its directory and the key file),
store (the database's contents), accounts (each account the agent configures) and clock
(the local clock against a server's). engine.doctor.run runs them; the values it returns
are in engine.doctor.report. This package imports nothing itself, so engine.models can
re-export the report's values without an import cycle.
"""
