"""What plugins register and how a spec names it: the spec language and typed parameters, the hook
specifications, the plugin manager (entry points), the registry table and its records, the core's own plugin,
preset files and the weights cache. No torch; it imports only the wings below it (runtime, io)."""
