"""``mlplab playground``: TensorFlow Playground on mlplab's own NumPy engine, in the browser.

``schema`` validates what the page sends, ``session`` trains and draws one setup, ``export``
writes it as an experiment file or a script, ``manager`` keeps the few sessions, ``server``
holds the FastAPI routes and ``static/`` the page (plain HTML, CSS and JavaScript). FastAPI
and uvicorn come with the ``playground`` extra and are imported only by ``server``.
"""
