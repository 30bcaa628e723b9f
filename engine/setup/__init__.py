"""Account setup: from an email address to working server settings.

- engine.setup.presets: the big providers' servers and sign-in methods
  (`PROVIDER_PRESETS`, `preset_for_domain`, `preset_for_mx`, `preset_by_id`).
- engine.setup.discover: `discover(address, network=DiscoveryNetwork(...)) -> Discovery`,
  asking presets, MX, Mozilla autoconfig, DNS SRV and last guessing host names.
- engine.setup.models: the values it takes and gives (Discovery, ServerGuess,
  AuthHints, DiscoveryNetwork, PortProbe), re-exported by engine.models.
- engine.setup.plan: the setup wizard's decisions; engine.setup.choices: the choices
  and defaults the command line's flags name.
- engine.setup.autoconfig, engine.setup.srv, engine.setup.resolver,
  engine.setup.http_fetch: the pieces, each usable on its own.

The console and the CLI reach discovery through Service.discover_account. The package
itself imports nothing, so a command that only names a flag's choices does not load the
setup; engine.setup.discover (and dnspython with it) loads when discovery runs.
"""
