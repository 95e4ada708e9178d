"""The rules core: pure functions over frozen facts (no Flask, no peewee, no clock, no files, no env).

"Now", the period and the cut-off are always parameters, so every rule can be replayed for any moment.
`periods` and `workdays` are the calendar; `values` the facts; `progress`, `status` and `lights` read
an assignment as of a moment; `indicators` checks a new value; `snapshot` builds a period's board;
`scores` scores and ranks units. Shells (web, CLI, scheduler, site) load facts and call these.
"""
