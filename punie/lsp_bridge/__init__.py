"""The language-server bridge: pygls + lsprotocol driving ``pyright-langserver`` (or ``ty``)."""

from punie.lsp_bridge._index import Definition, DefinitionIndex, ImportEdge, module_name
from punie.lsp_bridge.bridge import LspBridge
from punie.lsp_bridge.client import LspClient
from punie.lsp_bridge.config import ServerConfig
from punie.lsp_bridge.diagnostics import Diagnostic
from punie.lsp_bridge.errors import (
    LspError,
    LspNotReady,
    LspUnavailable,
    RequestTimeout,
    ServerCrashed,
)

__all__ = [
    "Definition",
    "DefinitionIndex",
    "Diagnostic",
    "ImportEdge",
    "LspBridge",
    "LspClient",
    "LspError",
    "LspNotReady",
    "LspUnavailable",
    "RequestTimeout",
    "ServerConfig",
    "ServerCrashed",
    "module_name",
]
