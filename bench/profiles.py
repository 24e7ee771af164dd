"""The profiles a table spec runs under (their one home; light to import for the CLI)."""

PROFILES = ("full", "quick", "thorough")
"""``quick``: a smoke run; ``full``: the sources' tables at 3 seeds; ``thorough``: the headline
cells at 10 seeds (DESIGN section 6)."""
REQUIRED_PROFILES = ("quick",)
"""Every spec has a smoke run; ``full`` the tables of ``make bench``, ``thorough`` those of
``make bench-thorough`` (a spec may have both)."""
