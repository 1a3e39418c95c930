"""One writer per output format of ``mlplab explain``, each taking a ``Doc``
(``mlplab.explain.blocks``) and the decimals to print: ``text`` (rich), ``markdown``,
``latex``; ``plain`` holds the number formatting and plain spelling text and Markdown share."""
