"""tinyseek: the tested code behind the book *How DeepSeek built V3 and R1 under U.S. export
controls*. Chapters import it instead of defining functions of their own.

Modules mirror the book: ``data`` (sourced facts), ``cost`` (what training costs), ``plots`` and
``widgets`` (thin views over the pure functions).
"""

__version__ = "0.1.0"
