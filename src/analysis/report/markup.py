"""Escaping of text that came from data files before it reaches a page."""

from __future__ import annotations

import html


def esc(text: object) -> str:
    """HTML-escape any text that came from a data file (quotes too, so it is safe in attributes).

    >>> esc('<b title="x">ลำพูน & co</b>')
    '&lt;b title=&quot;x&quot;&gt;ลำพูน &amp; co&lt;/b&gt;'
    """
    return html.escape(str(text), quote=True)
