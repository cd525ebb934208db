"""Exporters: take tables already built (tax report, journal listings) and write file
formats (xlsx, TXF).

They compute nothing of their own beyond layout, so every format carries the same totals
as the summary (tests read each format back and compare).
"""
