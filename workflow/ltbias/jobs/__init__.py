"""One module per workflow rule: the rule's single entry point.

Each module has a frozen `Settings` built from the rule's params (`from_params`) and a
`run(settings, *, <inputs>, <outputs>, log)` that takes every path explicitly: the rules
own the file names, the library never guesses them. A job imports only what its stage
uses, which keeps each rule's computed code inputs (`ltbias.importgraph`) to its stage.
"""
