"""What readers see: the province write-up's words and HTML charts, the national overview's tables
and charts, colours.
"""

__all__ = ["charts", "colours", "findings", "html_charts", "labels", "markup", "national", "province", "text"]
