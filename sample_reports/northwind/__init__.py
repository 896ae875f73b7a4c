"""Northwind Traders: a fictional tenant whose exports tell one mail-flow story.

``story`` builds every message of the fortnight (2026-11-09 .. 2026-11-22 UTC) from seeded
random generators; ``eop`` writes the Exchange Online exports and ``exch01`` the on-premises
Exchange 2010 logs from that one list, so that joining the files tells the same story.
Standard library only, so that the generator runs anywhere.
"""
