"""``punie tool NAME ARGS... --repo PATH [--json] [--server HOST:PORT]``: run one tool."""

from __future__ import annotations

import argparse
import types
import typing
from typing import Any

import anyio

from punie.cli._common import add_server_option, emit_json, server_config
from punie.errors import PunieError
from punie.tools import ToolContext, result_to_json
from punie.tools.catalogue import ParamSpec, get_spec, tool_specs

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # pyright: ignore[reportPrivateUsage]
    names = ", ".join(s.name for s in tool_specs())
    parser = sub.add_parser(
        "tool",
        help="run one tool on a repo",
        description=f"Run one typed tool. Tools: {names}. Arguments are positional in the "
        "tool's order, or NAME=VALUE.",
    )
    parser.add_argument("name", help="tool name")
    parser.add_argument("args", nargs="*", help="tool arguments (positional or NAME=VALUE)")
    parser.add_argument("--repo", default=".", help="workspace root (default: .)")
    parser.add_argument("--json", action="store_true", help="print the typed result as JSON")
    parser.add_argument("--server", help="use a running `punie serve` at HOST:PORT")
    add_server_option(parser)
    parser.set_defaults(handler=_run)


def _convert(param: ParamSpec, raw: str) -> Any:
    annotation = param.annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        if raw.lower() == "none":
            return None
        annotation = options[0] if options else str
    if annotation is bool:
        if raw.lower() in {"1", "true", "yes"}:
            return True
        if raw.lower() in {"0", "false", "no"}:
            return False
        raise PunieError(f"argument {param.name}={raw!r} is not a boolean")
    if annotation is int:
        try:
            return int(raw)
        except ValueError:
            raise PunieError(f"argument {param.name}={raw!r} is not an integer") from None
    if annotation is float:
        try:
            return float(raw)
        except ValueError:
            raise PunieError(f"argument {param.name}={raw!r} is not a number") from None
    return raw


def parse_tool_args(name: str, raw_args: list[str]) -> dict[str, Any]:
    try:
        spec = get_spec(name)
    except KeyError as exc:
        raise PunieError(str(exc.args[0])) from None
    params = {p.name: p for p in spec.params}
    kwargs: dict[str, Any] = {}
    positional = list(spec.params)
    for raw in raw_args:
        key, sep, value = raw.partition("=")
        if sep and key in params:
            kwargs[key] = _convert(params[key], value)
            continue
        remaining = [p for p in positional if p.name not in kwargs]
        if not remaining:
            raise PunieError(f"too many arguments for {spec.signature_text()}: {raw!r}")
        kwargs[remaining[0].name] = _convert(remaining[0], raw)
    missing = [p.name for p in spec.params if p.required and p.name not in kwargs]
    if missing:
        raise PunieError(f"missing argument(s) {', '.join(missing)} for {spec.signature_text()}")
    return kwargs


def _run(args: argparse.Namespace) -> int:
    kwargs = parse_tool_args(args.name, list(args.args))
    if args.server:
        payload = anyio.run(_remote, str(args.server), str(args.name), kwargs)
        data, rendered = payload["result"], str(payload["rendered"])
    else:
        data, rendered = anyio.run(_local, args, kwargs)
    if args.json:
        emit_json(data)
    else:
        print(rendered)
    return 0 if data.get("success", True) else 1


async def _local(args: argparse.Namespace, kwargs: dict[str, Any]) -> tuple[dict[str, Any], str]:
    spec = get_spec(args.name)
    async with ToolContext.at(args.repo, server=server_config(args)) as ctx:
        result = await spec.call(ctx, **kwargs)
        return result_to_json(result), result.render()


async def _remote(address: str, name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    from punie.serve import RemoteTools

    async with RemoteTools(address) as remote:
        return await remote.call(name, kwargs)
