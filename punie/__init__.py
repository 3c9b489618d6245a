"""punie: a Code-Mode agent on a live language server, whose traces train the model again.

Layers, each importing only those before it (``tests/test_layers.py`` checks):
``lsp_bridge`` (pyright through pygls) -> ``tools`` (the typed catalogue) -> ``model`` (loading,
decoding) -> ``agent`` (programs in a sandbox) -> ``traces`` (every turn) -> ``training``
(harvest, dataset, train, validate, loop) -> ``repl`` / ``serve`` / ``mcp`` -> ``cli``.
"""
