"""Moving a site in (and out): neutral documents, the parsers of other platforms' exports,
and the registry through which the apps write what was read (issue 14)."""
