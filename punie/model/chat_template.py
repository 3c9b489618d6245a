"""A Jinja chat template for punie's models: Code Mode calls as Python blocks, other calls in
Qwen3-Coder's tool-call layout.

Layout (``\\n`` are real newlines):

* system turn ``<|im_start|>system\\n{system}``; with tools, a ``# Tools`` section listing each
  one as ``<tools><function><name>..</name><description>..</description><parameters>
  <parameter><name>..</name><type>..</type><description>..</description></parameter>
  <required>[..]</required></parameters></function></tools>`` (one element per line) plus the
  call-format instructions; then ``<|im_end|>\\n``. With tools and no system message a short
  default system text is used; an empty system message with no tools renders nothing (the
  ``bare`` prompt style).
* ``<|im_start|>user\\n{content}<|im_end|>\\n``
* an assistant turn with tool calls: ``<|im_start|>assistant`` + (``\\n{content}\\n`` when there is
  content) + per call either
  - an ``execute_code`` call with one ``code`` argument: ``\\n``, a Markdown fence opened by
    three backticks and ``python\\n``, ``{code}``, ``\\n`` and three backticks
    (7 tokens of scaffolding with SmolLM2's tokenizer where the XML layout takes 36, about a
    third of a typical training sample, and the form a pretrained
    model has seen most code in), or
  - any other call: ``\\n<tool_call>\\n<function={name}>\\n`` + per argument
    ``<parameter={key}>\\n{value}\\n</parameter>\\n`` + ``</function>\\n</tool_call>``
    (arguments must be a mapping, not a JSON string; non-string values are rendered as JSON),
  then ``<|im_end|>\\n``. :func:`punie.agent.parse.parse_reply` reads both forms.
* consecutive ``tool`` messages share ONE user turn:
  ``<|im_start|>user\\n<tool_response>\\n{a}\\n</tool_response>\\n<tool_response>\\n{b}\\n
  </tool_response>\\n<|im_end|>\\n``
* ``add_generation_prompt`` appends ``<|im_start|>assistant\\n``.

The rendering of ``messages[:-1]`` plus the generation prompt is always a prefix of the rendering
of ``messages`` when the last message is an assistant turn, which mlx-lm's prompt masking needs.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CHAT_TEMPLATE",
    "DEFAULT_SYSTEM",
    "EXAMPLE_PROGRAM",
    "PYTHON_FENCE_TAGS",
    "TOOL_INSTRUCTIONS",
    "code_block",
]

PYTHON_FENCE_TAGS: Final = frozenset({"python", "py", "python3", "py3"})
"""Fence tags read as a Python block (an untagged fence is one too when it holds Python)."""
EXAMPLE_PROGRAM: Final = 'r = find_references("name")\nfinal_answer(str(r.reference_count))'


def code_block(code: str) -> str:
    """``code`` as the template renders an ``execute_code`` call: a Python block."""
    return f"```python\n{code}\n```"


DEFAULT_SYSTEM: Final = (
    "You are a coding assistant that answers questions about a repository by running code."
)

TOOL_INSTRUCTIONS: Final = (
    "\n\nTo run code with execute_code, reply with one Python block and nothing after it:"
    f"\n\n{code_block(EXAMPLE_PROGRAM)}"
    "\n\nTo call another function, reply with the call in exactly this format:"
    "\n\n<tool_call>\n<function=example_function_name>\n<parameter=example_parameter_1>\n"
    "value_1\n</parameter>\n</function>\n</tool_call>\n\n<IMPORTANT>\nReminder:\n"
    "- Give every required parameter\n"
    "- Any reasoning comes BEFORE the code or call, never after it\n"
    "- If no function fits, answer directly without mentioning functions\n"
    "</IMPORTANT>"
)


def _jinja_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


CHAT_TEMPLATE: Final = (
    """{%- macro scalar(value) -%}
{%- if value is string -%}{{- value -}}{%- else -%}{{- value | tojson -}}{%- endif -%}
{%- endmacro -%}
{%- macro render_tools(tool_list) -%}
{{- "\\n\\n# Tools\\n\\nYou have access to the following functions:\\n\\n<tools>" -}}
{%- for entry in tool_list -%}
{%- set fn = entry.function if entry.function is defined else entry -%}
{{- "\\n<function>\\n<name>" ~ fn.name ~ "</name>" -}}
{%- if fn.description is defined and fn.description -%}
{{- "\\n<description>" ~ (fn.description | trim) ~ "</description>" -}}
{%- endif -%}
{{- "\\n<parameters>" -}}
{%- set params = fn.parameters if fn.parameters is defined and fn.parameters is mapping else {} -%}
{%- if params.properties is defined and params.properties is mapping -%}
{%- for pname, pspec in params.properties.items() -%}
{{- "\\n<parameter>\\n<name>" ~ pname ~ "</name>" -}}
{%- if pspec.type is defined -%}{{- "\\n<type>" ~ scalar(pspec.type) ~ "</type>" -}}{%- endif -%}
{%- if pspec.description is defined -%}
{{- "\\n<description>" ~ (pspec.description | trim) ~ "</description>" -}}
{%- endif -%}
{%- for key, value in pspec.items() -%}
{%- if key not in ["type", "description"] -%}
{{- "\\n<" ~ key ~ ">" ~ scalar(value) ~ "</" ~ key ~ ">" -}}
{%- endif -%}
{%- endfor -%}
{{- "\\n</parameter>" -}}
{%- endfor -%}
{%- endif -%}
{%- for key, value in params.items() -%}
{%- if key not in ["type", "properties"] -%}
{{- "\\n<" ~ key ~ ">" ~ (value | tojson) ~ "</" ~ key ~ ">" -}}
{%- endif -%}
{%- endfor -%}
{{- "\\n</parameters>\\n</function>" -}}
{%- endfor -%}
{{- "\\n</tools>" -}}
{{- """
    + _jinja_string(TOOL_INSTRUCTIONS)
    + """ -}}
{%- endmacro -%}
{%- set tool_list = tools if tools is defined and tools else [] -%}
{%- if messages and messages[0].role == "system" -%}
{%- set system_text = messages[0].content if messages[0].content is string else "" -%}
{%- set loop_messages = messages[1:] -%}
{%- set has_system = system_text | length > 0 -%}
{%- else -%}
{%- set system_text = """
    + _jinja_string(DEFAULT_SYSTEM)
    + """ -%}
{%- set loop_messages = messages -%}
{%- set has_system = false -%}
{%- endif -%}
{%- if has_system or tool_list -%}
{{- "<|im_start|>system\\n" ~ system_text -}}
{%- if tool_list -%}{{- render_tools(tool_list) -}}{%- endif -%}
{{- "<|im_end|>\\n" -}}
{%- endif -%}
{%- for message in loop_messages -%}
{%- set content = message.content if message.content is string else "" -%}
{%- if message.role == "assistant" and message.tool_calls is defined and message.tool_calls -%}
{{- "<|im_start|>assistant" -}}
{%- if content | trim -%}{{- "\\n" ~ (content | trim) ~ "\\n" -}}{%- endif -%}
{%- for call in message.tool_calls -%}
{%- set fn = call.function if call.function is defined else call -%}
{%- set args = fn.arguments if fn.arguments is defined and fn.arguments is mapping else {} -%}
{%- set code_call = fn.name == "execute_code" and args | length == 1 -%}
{%- if code_call and args.code is defined and args.code is string -%}
{{- "\\n```python\\n" ~ args.code ~ "\\n```" -}}
{%- else -%}
{{- "\\n<tool_call>\\n<function=" ~ fn.name ~ ">\\n" -}}
{%- for arg_name, arg_value in args.items() -%}
{{- "<parameter=" ~ arg_name ~ ">\\n" ~ scalar(arg_value) ~ "\\n</parameter>\\n" -}}
{%- endfor -%}
{{- "</function>\\n</tool_call>" -}}
{%- endif -%}
{%- endfor -%}
{{- "<|im_end|>\\n" -}}
{%- elif message.role == "tool" -%}
{%- if loop.first or loop.previtem.role != "tool" -%}{{- "<|im_start|>user\\n" -}}{%- endif -%}
{{- "<tool_response>\\n" ~ content ~ "\\n</tool_response>\\n" -}}
{%- if loop.last or loop.nextitem.role != "tool" -%}{{- "<|im_end|>\\n" -}}{%- endif -%}
{%- else -%}
{{- "<|im_start|>" ~ message.role ~ "\\n" ~ content ~ "<|im_end|>\\n" -}}
{%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- "<|im_start|>assistant\\n" -}}{%- endif -%}"""
)
