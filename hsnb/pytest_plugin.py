"""hsnb's pytest plugin: registered under the ``pytest11`` entry point as ``hsnb``.

Installing hsnb makes its fixtures available in every test suite of that environment, with
no ``conftest.py`` line: ``hsnb_emulator``, ``hsnb_listener``, ``hsnb_client``, ``hsnb_mock``,
``hsnb_emulator_factory``, ``hsnb_receiver``, ``hsnb_wsgi_server`` and the ``hsnb`` marker
(see :mod:`hsnb.testing`). ``pytest -p no:hsnb`` turns it off.

A test can start from a saved emulator state, e.g. a request with one of two signers done:
``@pytest.mark.hsnb(state="tests/states/one-of-two-signed.json")`` (a file of
``Emulator.save_state`` or :func:`hsnb.testing.build_state`, from the rootdir) or
``@pytest.mark.hsnb(state=build)`` (a function ``build(emulator)``, run once per session).

This module only names :mod:`hsnb.testing` as a plugin, so pytest registers that module under
its own name: a ``conftest.py`` that still says ``pytest_plugins = ["hsnb.testing"]`` (needed
when plugin autoloading is disabled) then finds it loaded and does not load it twice.
"""

pytest_plugins = ("hsnb.testing",)
