"""The views layer: functions from the read model and the rules' results to typed
tables (:class:`~journal.views.table.Table`). The CLI, the workbook and the HTML report
only render what these return.

Importing this package is cheap (no pandas, SQLAlchemy or openpyxl): each view module
imports what it needs inside its functions.
"""

from journal.views.filters import Accounts
from journal.views.table import Column, Kind, Table, col, extra, table

__all__ = ["Accounts", "Column", "Kind", "Table", "col", "extra", "table"]
