"""What readers see: the province write-up's words and HTML charts, the national overview's tables
and charts, colours.
"""

__all__ = ["charts", "colours", "findings", "glossary", "html_charts", "labels", "markup", "national", "province",
           "text"]
