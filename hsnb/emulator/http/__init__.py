"""The emulator's HTTP edge: everything that imports tornado.

:mod:`~hsnb.emulator.http.routes` is the one route table; :mod:`~hsnb.emulator.http.handlers`
parse a request, call one backend method and serialise the answer (errors rendered in one
place); :mod:`~hsnb.emulator.http.control` is the ``/_emulator`` JSON plane;
:mod:`~hsnb.emulator.http.pages` the HTML pages a person opens; and
:mod:`~hsnb.emulator.http.outbound` the HTTP client side (callback POSTs, ``file_urls``).
"""
