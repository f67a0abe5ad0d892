"""Reading the JSON answers of the node's HTTP read plane
(docs/http-api.md, docs/openapi.yaml) field by field: each accessor raises
MalformedError naming the field's path (``logs[1].mapProof.bitmap: …``).
Fields an accessor does not ask for are ignored, so a newer node may add
some."""

import json
import sys

from .errors import MalformedError

MAX_ANSWER_TEXT = 64 << 20  # a JSON answer, before it is parsed


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def _no_duplicates(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise ValueError(f'the field "{k}" appears twice')
        obj[k] = v
    return obj


def read_bounded(path, limit, error, what):
    """The bytes of the file at `path` ("-": standard input), at most `limit`;
    `error` (an exception class) naming `what` and the path if it cannot be
    read or is longer."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with open(path, "rb") as f:
                data = f.read(limit + 1)
    except OSError as e:
        raise error(f"{what}: cannot read {path}: {e.strerror or e}") from None
    if len(data) > limit:
        raise error(f"{what}: {path} is over the limit of {limit} bytes")
    return data


def parse_answer(text, what="answer"):
    """A JSON object from `text` (str or bytes). MalformedError "<what>: not
    valid JSON (line L column C)" rather than a traceback; a field given
    twice is refused, as it could be read two ways."""
    if isinstance(text, (bytes, bytearray)):
        if len(text) > MAX_ANSWER_TEXT:
            raise MalformedError(f"{what}: over {MAX_ANSWER_TEXT} bytes")
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedError(f"{what}: not UTF-8") from None
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant)
    except json.JSONDecodeError as e:
        reason = e.msg.removesuffix(" at").removesuffix(" starting")
        raise MalformedError(f"{what}: not valid JSON at line {e.lineno} column {e.colno} ({reason})") from None
    except (ValueError, RecursionError) as e:
        raise MalformedError(f"{what}: not valid JSON ({e})") from None
    if not isinstance(value, dict):
        raise MalformedError(f"{what}: must be a JSON object")
    return value


def refuse_problem(answer, what="answer"):
    """An RFC 9457 problem detail of the node (docs/http-api.md, "Errors")
    is not an answer: MalformedError naming its status, code and detail."""
    if isinstance(answer, dict) and {"status", "code", "detail"} <= set(answer) and "logs" not in answer:
        raise MalformedError(
            f"{what}: the node refused the query ({answer['status']} {answer['code']}): {answer['detail']}"
        )
    return answer


def get(obj, name, where, kind, describe):
    path = f"{where}.{name}" if where else name
    if not isinstance(obj, dict):
        raise MalformedError(f"{where}: must be a JSON object")
    if name not in obj:
        raise MalformedError(f"{path}: missing")
    value = obj[name]
    if not kind(value):
        raise MalformedError(f"{path}: must be {describe}")
    return value


def string(obj, name, where=""):
    return get(obj, name, where, lambda v: isinstance(v, str), "a string")


def boolean(obj, name, where=""):
    return get(obj, name, where, lambda v: isinstance(v, bool), "true or false")


def integer(obj, name, where="", minimum=0, maximum=(1 << 64) - 1):
    return get(obj, name, where, lambda v: isinstance(v, int) and not isinstance(v, bool) and minimum <= v <= maximum,
               f"a whole number from {minimum} to {maximum}")


def array(obj, name, where=""):
    return get(obj, name, where, lambda v: isinstance(v, list), "a list")


def obj_field(obj, name, where=""):
    return get(obj, name, where, lambda v: isinstance(v, dict), "an object")


def path(where, name):
    return f"{where}.{name}" if where else name
