"""The emulated Dropbox Sign service: state and rules, and nothing of HTTP.

Nothing in this package imports tornado (``tests/emulator/test_layers.py`` walks the folder to
prove it). The :class:`~hsnb.emulator.service.backend.Backend` is its parts on one small core
API (:mod:`~hsnb.emulator.service.core`); around them: the plain state
(:mod:`~hsnb.emulator.service.models`), the settings (:mod:`~hsnb.emulator.service.config`),
time and ids (:mod:`~hsnb.emulator.service.clock`), declared life cycles
(:mod:`~hsnb.emulator.service.lifecycle`), request bodies and checks
(:mod:`~hsnb.emulator.service.parsing`, :mod:`~hsnb.emulator.service.validation`), the JSON
shapes (:mod:`~hsnb.emulator.service.serializers`), documents and text tags, callbacks and their
delivery rules (:mod:`~hsnb.emulator.service.callbacks`,
:mod:`~hsnb.emulator.service.dispatcher`), faults and rate limits.
"""
