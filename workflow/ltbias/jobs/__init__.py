"""One module per job; each workflow rule runs one through `entry.call`.

Each module has a `run(settings, *, <inputs>, <outputs>, <params>, log, ...)` whose
parameter names are the names the rule gives its inputs, outputs and params, and, when it
has settings, a frozen `Settings` dataclass that `entry` builds from the rule's `settings`
param. Every path is passed explicitly: the rules own the file names, the library never
guesses them. A job imports only what its stage uses, which keeps each rule's computed code
inputs (`ltbias.importgraph`) to its stage.
"""
