"""csp-journal: a trade journal and tax-record manager for the options wheel at IB."""

__version__ = "0.1.0"
